"""Session timeouts (DESIGN.md section 4): a signed-in user is signed out after
`SESSION_IDLE_MINUTES` without a request, and `SESSION_MAX_HOURS` after signing in, whatever
the session cookie allows. Install `SessionTimeoutMiddleware` after Django's authentication and
messages middleware; a start-up check warns when it is missing.

Written here because Django only knows one expiry (the cookie's age, renewed on every save when
SESSION_SAVE_EVERY_REQUEST is on), not an idle limit and an absolute limit together.
"""

import time

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from . import conf

# Requests the browser makes by itself, not a person: they end an expired session, but do not
# keep one alive. Every admin page loads Wagtail's JavaScript catalogue and icon sprite; an open
# page or snippet editor pings its editing session every few seconds and releases it on leaving.
BACKGROUND_VIEWS = frozenset({"wagtailadmin_javascript_catalog", "wagtailadmin_sprite"})
BACKGROUND_NAMESPACES = frozenset({"wagtailadmin_editing_sessions"})

SIGNED_IN_AT = "vse_referrals_signed_in_at"
LAST_SEEN_AT = "vse_referrals_last_seen_at"
# The last-seen time is written at most this often: not a session write on every request.
LAST_SEEN_RESOLUTION = 60


@receiver(user_logged_in, dispatch_uid="vse_referrals_session_started")
def session_started(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[SIGNED_IN_AT] = now
        request.session[LAST_SEEN_AT] = now


def expired(session, now):
    """Why the signed-in session has ended ("idle" or "absolute"), or None."""
    signed_in = session.get(SIGNED_IN_AT)
    last_seen = session.get(LAST_SEEN_AT, signed_in)
    if signed_in is None:  # a session from before the middleware was installed: it starts now
        return None
    if now - signed_in > conf.get("SESSION_MAX_HOURS") * 3600:
        return "absolute"
    if now - last_seen > conf.get("SESSION_IDLE_MINUTES") * 60:
        return "idle"
    return None


class SessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            now = time.time()
            reason = expired(request.session, now)
            if reason:
                logout(request)  # the request goes on anonymous: the admin asks to sign in again
                messages.info(request, self.message(reason))
            else:
                request.session.setdefault(SIGNED_IN_AT, now)
                seen = request.session.get(LAST_SEEN_AT, 0)
                if now - seen >= LAST_SEEN_RESOLUTION and not self.is_background(request):
                    request.session[LAST_SEEN_AT] = now
        return self.get_response(request)

    @staticmethod
    def is_background(request):
        try:
            match = resolve(request.path_info)
        except Resolver404:
            return False
        return match.view_name in BACKGROUND_VIEWS or match.namespace in BACKGROUND_NAMESPACES

    @staticmethod
    def message(reason):
        if reason == "idle":
            minutes = conf.get("SESSION_IDLE_MINUTES")
            return _("You were signed out after %(minutes)d minutes without activity. Please sign in again.") % {
                "minutes": minutes
            }
        return _("You were signed out: a session lasts at most %(hours)d hours. Please sign in again.") % {
            "hours": conf.get("SESSION_MAX_HOURS")
        }
