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

# Sign-in throttling counts failures by REMOTE_ADDR, which a client cannot forge. Set the number of
# reverse proxies only when each APPENDS the address it saw to X-Forwarded-For (nginx's
# $proxy_add_x_forwarded_for) and Django cannot be reached except through them: with a wrong
# count, rotating the header gives unlimited password tries (docs/security.md, "Proxy hops").
VSE_REFERRALS_PROXY_HOPS = int(os.environ.get("VSE_REFERRALS_PROXY_HOPS", "0"))
if VSE_REFERRALS_PROXY_HOPS:
    # Only a proxy in front may say the request came over HTTPS; reached directly, a client could.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
# Load balancers check each app server over plain HTTP (docs/deployment.md, "Health and monitoring").
SECURE_REDIRECT_EXEMPT = [r"^health/"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = 31536000
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Strict headers (vse_referrals, docs/security.md): `manage.py check --deploy --fail-level WARNING`
# passes with nothing silenced. HSTS covers every subdomain and asks to be preloaded into browsers:
# a commitment that the domain and all its subdomains serve HTTPS only, for years (removal from the
# preload lists takes months). The Content-Security-Policy and Permissions-Policy come from base.py.
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"  # noqa: F405
EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
# A mail server that hangs must not hold an e-mail past its claim (VSE_REFERRALS_NOTIFICATION_LEASE_MINUTES,
# 10 by default): a worker still waiting when the claim expires could send it a second time.
EMAIL_TIMEOUT = int(os.environ.get("DJANGO_EMAIL_TIMEOUT", "30"))

# E-mails leave through the database queue of django-tasks-db, run by `manage.py db_worker`
# (docs/deployment.md, "Background tasks"): a slow mail server never slows a request.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

# Comma-separated Fernet keys, newest first: the first encrypts, all decrypt (rotation).
VSE_REFERRALS_ENCRYPTION_KEYS = [key for key in os.environ["VSE_REFERRALS_ENCRYPTION_KEYS"].split(",") if key]
VSE_REFERRALS_ATTACHMENT_ROOT = os.environ.get("VSE_REFERRALS_ATTACHMENT_ROOT", "/var/lib/vse-referrals/attachments")

# Health endpoint (docs/deployment.md): comma-separated addresses or networks allowed to read it, and/or
# a token sent as `Authorization: Bearer <token>`. Neither set: it answers 404 to everyone.
VSE_REFERRALS_HEALTH_ALLOWED_ADDRESSES = [
    entry for entry in os.environ.get("VSE_REFERRALS_HEALTH_ALLOWED_ADDRESSES", "").split(",") if entry
]
VSE_REFERRALS_HEALTH_TOKEN = os.environ.get("VSE_REFERRALS_HEALTH_TOKEN", "")
