"""Referral statistics (issue 12): network oversight from metadata only.

- `periods`: the period a report covers (month, quarter, year, custom), read from the URL.
- `figures`: the report's tables, from plain metadata columns in a fixed number of queries.
- `suppression`: small counts hidden, and what totals would give away.
- `charts`: the geometry of the server-rendered SVG charts (the markup is in templates).
"""
