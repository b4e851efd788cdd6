"""Settings used by CI to check the example site (`manage.py check`, `makemigrations --check`)."""

from .base import *  # noqa: F401,F403

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
VSE_REFERRALS_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWtleS1mb3ItY2hlY2tzLTMyYnl0ZXM="]
