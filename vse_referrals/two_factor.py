"""Two-step verification for points of contact (DESIGN.md section 4), with django-otp.

A signed-in user who acts for an organisation (an active designation), or who can designate
points of contact (superusers, network administrators), reaches no admin page until they have
entered a code from an authenticator app (TOTP) or one of their backup codes in
this session. The first time, they set the app up: a QR code drawn on the server (segno, no
request to another host), the key to type in instead, one code to confirm, then ten single-use
backup codes shown once. When a phone is lost, a network administrator resets it from the
contact point's page (or `reset_two_factor USERNAME`); the user is told by e-mail and sets up
again at the next sign-in.

Install `django_otp.middleware.OTPMiddleware` and then `TwoFactorMiddleware` after Django's
authentication middleware; `VSE_REFERRALS_TWO_FACTOR_REQUIRED` (default True) turns it off, for
a demo only.
"""

from base64 import b32encode
from urllib.parse import quote

from django.db import transaction
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from . import conf
from .designations import is_network_administrator
from .permissions import actor_for

APP_DEVICE_NAME = "Authenticator app"
BACKUP_DEVICE_NAME = "Backup codes"
BACKUP_CODES = 10
# What an unverified point of contact may still open under the admin: these pages, signing out,
# and what the admin's own pages load by script (its icons and its translations).
OPEN_URL_NAMES = frozenset(
    {
        "vse_referrals:two_factor_setup",
        "vse_referrals:two_factor_verify",
        "wagtailadmin_logout",
        "wagtailadmin_login",
        "wagtailadmin_javascript_catalog",
        "wagtailadmin_sprite",
    }
)


def required_for(request):
    """Whether the signed-in user must verify a second factor: a point of contact, or anyone who
    can designate one (else a stolen administrator's password could designate itself and enrol
    its own phone)."""
    user = request.user
    if not (conf.get("TWO_FACTOR_REQUIRED") and user.is_authenticated):
        return False
    return bool(user.is_superuser or is_network_administrator(user) or actor_for(request).is_contact_point)


def app_device(user, *, create=False):
    """The user's authenticator app: confirmed if set up, else the one being set up (or None)."""
    devices = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "-pk")
    device = devices.first()
    if device is None and create:
        device = TOTPDevice.objects.create(user=user, name=APP_DEVICE_NAME, confirmed=False)
    return device


def grouped_key(device):
    """The key to type into an app by hand, in groups of four: ABCD EFGH ..."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def new_backup_codes(user):
    """Replace the user's backup codes with new ones and return them, to show once (django-otp
    stores them as they are: they are as secret as the database)."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=BACKUP_DEVICE_NAME)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    device.token_set.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def reset(user, request=None):
    """Remove every second factor of `user`: they set up again at their next sign-in, and are told
    by e-mail (a reset nobody asked for is how an account takeover would start). The audit log
    records who reset it (`request`'s user; none: a command)."""
    from . import audit, notifications
    from .accounts import TWO_FACTOR_RESET
    from .models import AuditAction

    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        audit.record(AuditAction.TWO_FACTOR_RESET, request=request, on=user)
        if user.email:
            notifications.queue(user, TWO_FACTOR_RESET)


def verify(user, code):
    """The device that accepts `code` (the app's, else a backup code), or None. Each device's own
    throttling applies (django-otp slows down repeated wrong codes)."""
    for device in (app_device(user), StaticDevice.objects.filter(user=user).first()):
        if device is not None and device.confirmed and device.verify_token(code):
            return device
    return None


def step_url(user, next_path):
    """Where `user` goes for their second step (set up, or enter a code), then back to `next_path`."""
    name = "two_factor_verify" if user_has_device(user) else "two_factor_setup"
    return f"{reverse('vse_referrals:' + name)}?next={quote(next_path)}"


class TwoFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        verified = getattr(user, "is_verified", None)  # installed by django-otp's middleware
        # Cheapest first: most requests are anonymous or already verified.
        if user is not None and user.is_authenticated and not (verified and verified()):
            if self.guards(request) and required_for(request):
                return redirect(step_url(user, request.get_full_path()))
        return self.get_response(request)

    @staticmethod
    def guards(request):
        """Whether the path is an admin page an unverified point of contact may not open."""
        if not request.path_info.startswith(reverse("wagtailadmin_home")):
            return False
        try:
            return resolve(request.path_info).view_name not in OPEN_URL_NAMES
        except Resolver404:
            return True
