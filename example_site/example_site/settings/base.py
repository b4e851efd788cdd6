"""Settings of the example VSE intranet: how a Wagtail site installs vse_referrals.

The lines marked "vse_referrals" are what a host site adds; the README lists them in order.
"""

from datetime import timedelta
from pathlib import Path

from vse_referrals import security_headers

PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent

INSTALLED_APPS = [
    "intranet",
    "vse_referrals",  # vse_referrals
    "guardian",  # vse_referrals: per-organisation object permissions
    "django_countries",  # vse_referrals: ISO 3166-1 countries
    "django_tasks_db",  # vse_referrals: queue of the e-mail worker (production's TASKS backend)
    "wagtail_modeladmin",  # vse_referrals: network administration
    "axes",  # vse_referrals: login throttling
    "django_otp",  # vse_referrals: two-step verification of points of contact
    "django_otp.plugins.otp_totp",  # vse_referrals: authenticator apps
    "django_otp.plugins.otp_static",  # vse_referrals: backup codes
    "csp",  # vse_referrals: Content-Security-Policy (django-csp)
    "wagtail_localize",  # vse_referrals: editors translate member profiles and vocabularies
    "wagtail_localize.locales",  # ...and manage the directory's languages (replaces wagtail.locales)
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.embeds",
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
    "vse_referrals.security_headers.CSPMiddleware",  # vse_referrals: Content-Security-Policy
    "django_permissions_policy.PermissionsPolicyMiddleware",  # vse_referrals: Permissions-Policy
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_otp.middleware.OTPMiddleware",  # vse_referrals: two-step verification
    "vse_referrals.two_factor.TwoFactorMiddleware",  # vse_referrals: ...required of points of contact
    "vse_referrals.sessions.SessionTimeoutMiddleware",  # vse_referrals: idle and absolute session timeouts
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "axes.middleware.AxesMiddleware",  # vse_referrals: login throttling (last)
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesBackend",  # vse_referrals: login throttling (first)
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",  # vse_referrals
]

# vse_referrals: login throttling (django-axes): five failed sign-ins for one username from one address lock
# that pair out for an hour; a successful sign-in clears the count.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(hours=1)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the hour runs from the lockout, not the last try
AXES_CLIENT_IP_CALLABLE = "vse_referrals.addresses.client_address"  # see VSE_REFERRALS_PROXY_HOPS
AXES_LOCKOUT_TEMPLATE = "vse_referrals/lockout.html"
# vse_referrals: the name authenticator apps show next to the code.
OTP_TOTP_ISSUER = "VSE intranet"

# vse_referrals: the strict Content-Security-Policy of the directory and the case pages (Wagtail's
# own admin views get what they need on top of it), and no page may use camera, microphone,
# location, payment, USB...
CONTENT_SECURITY_POLICY = {"DIRECTIVES": security_headers.DIRECTIVES}
PERMISSIONS_POLICY = security_headers.PERMISSIONS_POLICY

# vse_referrals: no guardian "AnonymousUser" account; anonymous users never act for anyone.
ANONYMOUS_USER_NAME = None

ROOT_URLCONF = "example_site.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PROJECT_DIR / "templates"],
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

WSGI_APPLICATION = "example_site.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": BASE_DIR / "db.sqlite3",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# vse_referrals: the languages the app's catalogues ship in. Each is named by Django's LANG_INFO
# (get_language_info), in its own language, wherever a page lists them.
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
# vse_referrals: a point of contact chooses their admin language (and so their e-mails' language)...
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# ...and the directory's pages and vocabularies are translated into these (public URLs /fr/, /es/...).
WAGTAIL_I18N_ENABLED = True
WAGTAIL_CONTENT_LANGUAGES = LANGUAGES
TIME_ZONE = "Europe/Brussels"
USE_I18N = True
USE_TZ = True

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATIC_ROOT = BASE_DIR / "static"
STATIC_URL = "/static/"
MEDIA_ROOT = BASE_DIR / "media"
MEDIA_URL = "/media/"

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# vse_referrals: an upload adds at most VSE_REFERRALS_ATTACHMENT_MAX_FILES_PER_REQUEST (10) files,
# refused with a clear message above it; a request with more than this is refused (400) unread.
DATA_UPLOAD_MAX_NUMBER_FILES = 20
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

WAGTAIL_SITE_NAME = "VSE intranet (example)"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILADMIN_BASE_URL = "http://127.0.0.1:8000"
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# No request to a third-party host from the admin: initials instead of avatars, and no check
# for new Wagtail versions from the dashboard.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False

# vse_referrals ------------------------------------------------------------------------------
# Encrypted attachments live here, outside MEDIA_ROOT; only the case download view serves them.
VSE_REFERRALS_ATTACHMENT_ROOT = BASE_DIR / "private"
# Notifications are sent by a task after each transition commits. The immediate backend runs it
# in the request's process (demo, tests); production.py uses the database queue and its worker.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
