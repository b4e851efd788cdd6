"""Production settings: every secret and host comes from the environment."""

import os

from .base import *  # noqa: F401,F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [host for host in os.environ.get("DJANGO_ALLOWED_HOSTS", "").split(",") if host]
WAGTAILADMIN_BASE_URL = os.environ["WAGTAILADMIN_BASE_URL"]

if os.environ.get("DATABASE_URL"):
    import dj_database_url

    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Sign-in throttling counts failures by REMOTE_ADDR, which a client cannot forge. Set the number of
# reverse proxies only when each APPENDS the address it saw to X-Forwarded-For (nginx's
# $proxy_add_x_forwarded_for) and Django cannot be reached except through them: with a wrong
# count, rotating the header gives unlimited password tries (docs/security.md, "Proxy hops").
VSE_REFERRALS_PROXY_HOPS = int(os.environ.get("VSE_REFERRALS_PROXY_HOPS", "0"))
SECURE_SSL_REDIRECT = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"  # noqa: F405
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# Comma-separated Fernet keys, newest first: the first encrypts, all decrypt (rotation).
VSE_REFERRALS_ENCRYPTION_KEYS = [key for key in os.environ["VSE_REFERRALS_ENCRYPTION_KEYS"].split(",") if key]
VSE_REFERRALS_ATTACHMENT_ROOT = os.environ.get("VSE_REFERRALS_ATTACHMENT_ROOT", "/var/lib/vse-referrals/attachments")
