"""The one way every page, listing and e-mail shows a moment or a day.

A moment reads "1 Dec 2026, 06:59 CET": day, month and year in that order in every language (no
"12/01/2026" that Europeans and Americans read differently), a 24-hour clock and the time zone
always shown, since a referral crosses borders. It is the current time zone's: in the admin,
Wagtail activates each user's own (their account's "current time zone" preference, else
`TIME_ZONE`); e-mails and commands use `TIME_ZONE`. A day ("1 Dec 2026") has no time and no zone.
Exports keep machine-readable values instead.
"""

import datetime

from django.utils import dateformat, timezone

MOMENT_FORMAT = "j M Y, H:i"
DAY_FORMAT = "j M Y"


def format_moment(value):
    """An aware datetime in the current time zone, with the zone; "" for none."""
    if value is None or value == "":
        return ""
    if not isinstance(value, datetime.datetime):
        return format_day(value)
    if timezone.is_naive(value):
        return dateformat.format(value, MOMENT_FORMAT)
    local = timezone.localtime(value)
    # The zone's own name for this very moment: Django's "T" gives nothing for the hour that
    # happens twice when summer time ends, exactly when the zone is needed to tell them apart.
    return f"{dateformat.format(local, MOMENT_FORMAT)} {local.tzname()}"


def format_day(value):
    """A date (or the date a datetime falls on in the current time zone); "" for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return dateformat.format(value, DAY_FORMAT)
