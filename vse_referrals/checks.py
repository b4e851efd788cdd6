"""Start-up checks of the settings that protect case data and the directory's visitors."""

from pathlib import Path

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured

from . import conf, crypto, security_headers, world_map


@register(Tags.security)
def check_encryption_keys(app_configs, **kwargs):
    try:
        crypto.fernet()
    except ImproperlyConfigured as error:
        return [Error(str(error), id="vse_referrals.E001")]
    return []


@register(Tags.security)
def check_attachment_root(app_configs, **kwargs):
    root = conf.get("ATTACHMENT_ROOT")
    if not root:
        return [
            Error(
                "VSE_REFERRALS_ATTACHMENT_ROOT is not set.",
                hint="Point it to a private folder outside MEDIA_ROOT and STATIC_ROOT.",
                id="vse_referrals.E002",
            )
        ]
    root = Path(root).resolve()
    errors = []
    for name in ("MEDIA_ROOT", "STATIC_ROOT"):
        public = getattr(settings, name, None)
        if public and (root == Path(public).resolve() or Path(public).resolve() in root.parents):
            errors.append(
                Error(
                    f"VSE_REFERRALS_ATTACHMENT_ROOT lies inside {name}: attachments could be served publicly.",
                    id="vse_referrals.E003",
                )
            )
    return errors


@register(Tags.security)
def check_map_tiles(app_configs, **kwargs):
    return [
        Error(f"VSE_REFERRALS_MAP_TILES: {problem}.", id="vse_referrals.E004")
        for problem in world_map.tile_setting_problems(conf.get("MAP_TILES"))
    ]


@register(Tags.security)
def check_upload_file_count(app_configs, **kwargs):
    """Django refuses a request with too many files (400) before the app can explain its own limit."""
    django_limit = settings.DATA_UPLOAD_MAX_NUMBER_FILES
    ours = conf.get("ATTACHMENT_MAX_FILES_PER_REQUEST")
    if django_limit is not None and django_limit <= ours:
        return [
            Warning(
                f"DATA_UPLOAD_MAX_NUMBER_FILES ({django_limit}) is not above "
                f"VSE_REFERRALS_ATTACHMENT_MAX_FILES_PER_REQUEST ({ours}): a few files too many get "
                "an error page instead of a message at the file field.",
                hint="Set DATA_UPLOAD_MAX_NUMBER_FILES to about twice the per-request limit.",
                id="vse_referrals.W004",
            )
        ]
    return []


SESSION_TIMEOUT_MIDDLEWARE = "vse_referrals.sessions.SessionTimeoutMiddleware"


@register(Tags.security)
def check_session_timeouts(app_configs, **kwargs):
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if SESSION_TIMEOUT_MIDDLEWARE in middleware:
        needed = (
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        )
        if all(
            name in middleware and middleware.index(name) < middleware.index(SESSION_TIMEOUT_MIDDLEWARE)
            for name in needed
        ):
            return []
    return [
        Warning(
            "Session idle and absolute timeouts are not enforced.",
            hint=f"Add {SESSION_TIMEOUT_MIDDLEWARE!r} to MIDDLEWARE after the authentication and messages middleware.",
            id="vse_referrals.W001",
        )
    ]


@register(Tags.security)
def check_login_throttling(app_configs, **kwargs):
    backends = list(getattr(settings, "AUTHENTICATION_BACKENDS", []))
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    if (
        "axes" in settings.INSTALLED_APPS
        and backends[:1] in (["axes.backends.AxesBackend"], ["axes.backends.AxesStandaloneBackend"])
        and "axes.middleware.AxesMiddleware" in middleware
    ):
        return []
    return [
        Warning(
            "Sign-ins are not throttled: passwords of points of contact can be guessed without limit.",
            hint="Install django-axes as the README says: 'axes' in INSTALLED_APPS, "
            "AxesBackend first in AUTHENTICATION_BACKENDS, AxesMiddleware in MIDDLEWARE.",
            id="vse_referrals.W002",
        )
    ]


@register(Tags.security)
def check_client_address_behind_proxies(app_configs, **kwargs):
    """Behind a proxy, REMOTE_ADDR is the proxy's for everyone: throttling by it locks people out."""
    behind_proxy = bool(getattr(settings, "SECURE_PROXY_SSL_HEADER", None))
    uses_ours = getattr(settings, "AXES_CLIENT_IP_CALLABLE", None) == "vse_referrals.addresses.client_address"
    if behind_proxy and "axes" in settings.INSTALLED_APPS and not (uses_ours and conf.get("PROXY_HOPS")):
        return [
            Warning(
                "Sign-in throttling sees every visitor at the proxy's address: five wrong passwords "
                "from anywhere would lock a point of contact out.",
                hint="Set AXES_CLIENT_IP_CALLABLE = 'vse_referrals.addresses.client_address' and "
                "VSE_REFERRALS_PROXY_HOPS to the number of proxies that append to X-Forwarded-For.",
                id="vse_referrals.W003",
            )
        ]
    return []


TWO_FACTOR_MIDDLEWARE = ("django_otp.middleware.OTPMiddleware", "vse_referrals.two_factor.TwoFactorMiddleware")


@register(Tags.security)
def check_two_factor(app_configs, **kwargs):
    if not conf.get("TWO_FACTOR_REQUIRED"):
        return []
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    apps = ("django_otp", "django_otp.plugins.otp_totp", "django_otp.plugins.otp_static")
    if (
        all(app in settings.INSTALLED_APPS for app in apps)
        and all(name in middleware for name in (auth, *TWO_FACTOR_MIDDLEWARE))
        and middleware.index(auth)
        < middleware.index(TWO_FACTOR_MIDDLEWARE[0])
        < middleware.index(TWO_FACTOR_MIDDLEWARE[1])
    ):
        return []
    return [
        Error(
            "Two-step verification of points of contact is required but not installed.",
            hint="Add django_otp and its otp_totp and otp_static plugins to INSTALLED_APPS, and "
            "OTPMiddleware then TwoFactorMiddleware after the authentication middleware (see the README).",
            id="vse_referrals.E005",
        )
    ]


@register(Tags.security)
def check_security_headers(app_configs, **kwargs):
    middleware = list(getattr(settings, "MIDDLEWARE", []))
    missing = []
    if security_headers.MIDDLEWARE not in middleware or not getattr(settings, "CONTENT_SECURITY_POLICY", None):
        missing.append("Content-Security-Policy")
    if security_headers.PERMISSIONS_POLICY_MIDDLEWARE not in middleware or not getattr(
        settings, "PERMISSIONS_POLICY", None
    ):
        missing.append("Permissions-Policy")
    if not missing:
        return []
    return [
        Warning(
            f"Pages are served without a {' or '.join(missing)} header.",
            hint=f"Add {security_headers.MIDDLEWARE!r} and {security_headers.PERMISSIONS_POLICY_MIDDLEWARE!r} "
            "to MIDDLEWARE, and set CONTENT_SECURITY_POLICY = {'DIRECTIVES': security_headers.DIRECTIVES} and "
            "PERMISSIONS_POLICY = security_headers.PERMISSIONS_POLICY (see vse_referrals/security_headers.py).",
            id="vse_referrals.W005",
        )
    ]


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@register()
def check_email_timeout(app_configs, **kwargs):
    """A worker still waiting on a hung mail server when its claim expires could send an e-mail twice."""
    lease_seconds = conf.get("NOTIFICATION_LEASE_MINUTES") * 60
    timeout = getattr(settings, "EMAIL_TIMEOUT", None)
    if settings.EMAIL_BACKEND == SMTP_BACKEND and (timeout is None or timeout >= lease_seconds):
        return [
            Warning(
                f"EMAIL_TIMEOUT ({timeout}) is not below VSE_REFERRALS_NOTIFICATION_LEASE_MINUTES "
                f"({lease_seconds} seconds): a hung mail server could make a worker send an e-mail twice.",
                hint="Set EMAIL_TIMEOUT to a few tens of seconds (30 is a good value).",
                id="vse_referrals.W006",
            )
        ]
    return []
