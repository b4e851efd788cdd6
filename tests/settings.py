"""Settings for the test suite: a minimal Wagtail site with vse_referrals installed.

DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) runs the suite on another database;
SQLite in memory by default.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from vse_referrals import security_headers

BASE_DIR = Path(__file__).resolve().parent

SECRET_KEY = "test-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]

INSTALLED_APPS = [
    "intranet",
    "vse_referrals",
    "guardian",
    "django_countries",
    "django_tasks_db",
    "wagtail_modeladmin",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "wagtail_localize",
    "wagtail_localize.locales",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "vse_referrals.security_headers.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "vse_referrals.two_factor.TwoFactorMiddleware",
    "vse_referrals.sessions.SessionTimeoutMiddleware",  # idle and absolute session timeouts
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # last: turns a locked-out sign-in into the lockout page
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",  # first: refuses locked-out sign-ins
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]

# Login throttling (django-axes): five failed sign-ins for one username from one address lock
# that pair out for an hour; a successful sign-in clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the hour runs from the lockout, not the last try
AXES_CLIENT_IP_CALLABLE = "vse_referrals.addresses.client_address"  # see VSE_REFERRALS_PROXY_HOPS
AXES_LOCKOUT_TEMPLATE = "vse_referrals/lockout.html"
ANONYMOUS_USER_NAME = None

CONTENT_SECURITY_POLICY = {"DIRECTIVES": security_headers.DIRECTIVES}
PERMISSIONS_POLICY = security_headers.PERMISSIONS_POLICY

ROOT_URLCONF = "tests.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(default="sqlite://:memory:"),
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", "English"),
    ("fr", "French"),
    ("de", "German"),
    ("es", "Spanish"),
    ("it", "Italian"),
    ("pt", "Portuguese"),
    ("nl", "Dutch"),
    ("pl", "Polish"),
]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "static-collected"
MEDIA_ROOT = BASE_DIR / "media-test"
MEDIA_URL = "/media/"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

WAGTAIL_SITE_NAME = "VSE intranet (tests)"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_BASE_URL = "http://testserver"

# No avatar requests to a third-party host: the intranet shows initials instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# vse_referrals: a fixed test key (never use it elsewhere) and a throw-away private folder.
VSE_REFERRALS_ENCRYPTION_KEYS = ["Z2y5WmZ0b3ZwT0ZkM0lXbm1qY0lYdWJ2TUpqX2NfVzA="]
VSE_REFERRALS_ATTACHMENT_ROOT = BASE_DIR / "private-test-files"  # each test overrides it with a temporary folder
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

# Two-step verification is tested in test_two_factor.py, which turns it on; the other tests sign
# points of contact in with force_login, as after their second step.
VSE_REFERRALS_TWO_FACTOR_REQUIRED = False
