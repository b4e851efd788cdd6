"""Settings for `make loadtest`: the example site as production runs it, on the load test's database.

`loadtest.run` makes the database, the folders and a fresh encryption key, and passes them in
the environment before gunicorn, the worker and its own Django start. What differs from
production, and why:

- Tasks go through the database-backed backend (django-tasks-db) and its worker, as production.
- E-mails are written to files in a folder of the run (Django's file-based backend), so the
  checks can count what the worker sent.
- Two-step verification is off: the simulated points of contact sign in with a password only
  (a load test cannot read an authenticator app). Nothing else about sign-in changes.
- Sign-in throttling stays on (django-axes records every sign-in, as in production), but its
  failure limit is raised: every simulated user arrives from 127.0.0.1, and a few sign-ins that
  time out under load must show as errors of the run, not lock users out for an hour.
- Passwords are hashed with MD5, so that building a hundred accounts takes no minutes (the
  benchmark does the same); a sign-in then costs less than in production.
- HTTP on the loopback: no HTTPS redirect and no secure cookies (nothing leaves the machine).
"""

import os

import dj_database_url

from example_site.settings.base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["VSE_LOADTEST_SECRET_KEY"]
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
WAGTAILADMIN_BASE_URL = os.environ.get("VSE_LOADTEST_BASE_URL", "http://127.0.0.1:8765")
DATABASES = {"default": dj_database_url.parse(os.environ["VSE_LOADTEST_DATABASE_URL"], conn_max_age=60)}

if "django_tasks_db" not in INSTALLED_APPS:  # noqa: F405 (production's apps may list it already)
    INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["VSE_LOADTEST_MAIL_DIR"]
DEFAULT_FROM_EMAIL = "referrals@example.org"

VSE_REFERRALS_ENCRYPTION_KEYS = [os.environ["VSE_LOADTEST_ENCRYPTION_KEY"]]
VSE_REFERRALS_ATTACHMENT_ROOT = os.environ["VSE_LOADTEST_ATTACHMENT_ROOT"]
VSE_REFERRALS_TWO_FACTOR_REQUIRED = False
AXES_FAILURE_LIMIT = 1000

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
