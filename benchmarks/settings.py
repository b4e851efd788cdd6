"""Settings for `make bench`: the test suite's site, on the benchmark's own database.

`benchmarks.run` chooses the databases (`benchmarks.database`: the network at its smaller and
at its larger size, and a throwaway copy) and passes them in VSE_BENCH_DATABASE_URL,
VSE_BENCH_LARGE_DATABASE_URL and VSE_BENCH_SCRATCH_DATABASE_URL before Django starts. Nothing
routes to `large` or `scratch`: the benchmark makes one the default connection while it builds
or measures there.
"""

import os

import dj_database_url

from tests.settings import *  # noqa: F403

DEBUG = False
DATABASES = {
    "default": dj_database_url.parse(os.environ["VSE_BENCH_DATABASE_URL"]),
    "large": dj_database_url.parse(os.environ["VSE_BENCH_LARGE_DATABASE_URL"]),
    "scratch": dj_database_url.parse(os.environ["VSE_BENCH_SCRATCH_DATABASE_URL"]),
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Nothing is sent; unlike the test suite's in-memory outbox, nothing piles up in the process either
# (the cron commands' memory is measured).
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# Points of contact are signed in with force_login, as after their second step.
VSE_REFERRALS_TWO_FACTOR_REQUIRED = False
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "ERROR"},
}
