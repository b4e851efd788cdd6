"""Local demo: SQLite, console e-mail. Never use these settings on a server."""

from .base import *  # noqa: F401,F403

DEBUG = True
# A fixed key for the local demo only; production.py reads it from the environment.
SECRET_KEY = "demo-only-not-secret-vse-referrals-example-site"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
