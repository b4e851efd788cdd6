"""The security headers of the app's pages: Content-Security-Policy (django-csp) and
Permissions-Policy (django-permissions-policy).

One strict policy for the public directory, the case pages and everything else a host serves
(``DIRECTIVES``: scripts and styles from the site itself only, nothing inline, no plugins, no
``<base>``, no framing); Wagtail's own admin views get what they need on top of it
(``ADMIN_RELAXATIONS``, explained in docs/security.md). The case pages live under the admin's
address but are the app's own views (URL namespace ``vse_referrals``), so they keep the strict
policy. The one tile host of ``VSE_REFERRALS_MAP_TILES``, when set, may serve images.

A host installs them with::

    CONTENT_SECURITY_POLICY = {"DIRECTIVES": security_headers.DIRECTIVES}
    PERMISSIONS_POLICY = security_headers.PERMISSIONS_POLICY
    MIDDLEWARE = [..., "vse_referrals.security_headers.CSPMiddleware",
                  "django_permissions_policy.PermissionsPolicyMiddleware", ...]
"""

from urllib.parse import urlsplit

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from django.urls import NoReverseMatch, reverse

from . import conf

DIRECTIVES = {
    "default-src": [NONE],
    "script-src": [SELF],
    "style-src": [SELF],
    "img-src": [SELF, "data:"],  # data: the public pages' empty favicon (no request for one)
    "font-src": [SELF],
    "connect-src": [SELF],  # the directory's filters fetch their results from the page's own address
    "object-src": [NONE],
    "base-uri": [NONE],
    "frame-ancestors": [NONE],
    "form-action": [SELF],
}

# What Wagtail's admin needs beyond DIRECTIVES (docs/security.md says why, line by line).
ADMIN_RELAXATIONS = {
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["blob:"],
    "frame-src": [SELF],
}
# The app's own admin views (case pages, referral form, inbox) keep the strict policy but for one
# thing: the message editor (Wagtail's Draftail) adds <style> elements for its placeholder and the
# numbering of nested lists. Style attributes stay refused (style-src applies to them).
APP_ADMIN_RELAXATIONS = {"style-src-elem": [SELF, UNSAFE_INLINE]}
# Replaced rather than added to: the page editor shows a page's preview (or, when the form does not
# validate, an admin page saying so) in a frame of the admin.
ADMIN_FRAME_ANCESTORS = {"frame-ancestors": [SELF]}

APP_NAMESPACE = "vse_referrals"

MIDDLEWARE = "vse_referrals.security_headers.CSPMiddleware"
PERMISSIONS_POLICY_MIDDLEWARE = "django_permissions_policy.PermissionsPolicyMiddleware"

# No page of the intranet or the directory uses these browser features: no script, even an
# injected one, may ask for them.
PERMISSIONS_POLICY = {
    feature: []
    for feature in (
        "accelerometer",
        "autoplay",
        "browsing-topics",
        "camera",
        "display-capture",
        "encrypted-media",
        "geolocation",
        "gyroscope",
        "hid",
        "idle-detection",
        "local-fonts",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "screen-wake-lock",
        "serial",
        "usb",
        "xr-spatial-tracking",
    )
}


def tile_origin():
    """The origin of the map's tile host (``https://tiles.example.org``), or None without tiles."""
    tiles = conf.get("MAP_TILES")
    if not tiles:
        return None
    parts = urlsplit(tiles["url"])
    return f"{parts.scheme}://{parts.netloc}"


def admin_prefix():
    try:
        return reverse("wagtailadmin_home")
    except NoReverseMatch:  # a site without Wagtail's admin
        return None


def page_kind(request):
    """Which policy a request gets: ``admin`` for Wagtail's own admin views, ``app-admin`` for the
    app's (case pages, referral form, inbox), ``public`` for the rest (the directory, the host's pages)."""
    prefix = admin_prefix()
    if prefix is None or not request.path_info.startswith(prefix):
        return "public"
    match = getattr(request, "resolver_match", None)
    return "app-admin" if match and APP_NAMESPACE in match.namespaces else "admin"


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp's middleware, with the admin's relaxations and the tile host (the rules above).

    A policy a view sets itself with django-csp's decorators (``@csp``, ``@csp_update``,
    ``@csp_replace``) still applies on top: this only fills in what the view left unset.
    """

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only=report_only)
        update = {}
        replace = {}
        kind = page_kind(request)
        if kind == "admin":
            update.update(ADMIN_RELAXATIONS)
            replace.update(ADMIN_FRAME_ANCESTORS)
        elif kind == "app-admin":
            update.update(APP_ADMIN_RELAXATIONS)
        if getattr(request, "is_dummy", False):
            # Wagtail renders a page's preview with a request of its own, through this middleware,
            # and shows it in a frame of the page editor: the page's own policy, framed by the admin.
            replace.update(ADMIN_FRAME_ANCESTORS)
        origin = tile_origin()
        if origin:
            update["img-src"] = [*update.get("img-src", []), origin]
        if update:
            parts.update = _merged(update, parts.update)
        if replace:
            parts.replace = {**replace, **(parts.replace or {})}
        return parts


def _merged(first, second):
    merged = {key: list(values) for key, values in first.items()}
    for key, values in (second or {}).items():
        merged[key] = [*merged.get(key, []), *values]
    return merged
