"""`make bench`: what a request costs at 1,000 and at 100,000 referrals (see docs/benchmarks.md)."""
