"""Two-step verification (vse_referrals.two_factor): a point of contact reaches no admin page
before entering a code from an authenticator app or a backup code; setting it up, using it,
losing it."""

import re
from io import StringIO
from urllib.parse import quote

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.core.checks import run_checks
from django.core.management import call_command
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from vse_referrals import two_factor

from . import builders

pytestmark = pytest.mark.django_db

INBOX = reverse("vse_referrals:inbox")
SETUP = reverse("vse_referrals:two_factor_setup")
VERIFY = reverse("vse_referrals:two_factor_verify")


@pytest.fixture(autouse=True)
def required(settings):
    settings.VSE_REFERRALS_TWO_FACTOR_REQUIRED = True


def code(device, steps_ahead=0):
    """What the app shows (or will show `steps_ahead` periods from now)."""
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + steps_ahead)
    return str(value).zfill(device.digits)


def page(response):
    return BeautifulSoup(response.content, "html.parser")


def set_up(client, user):
    """Sign in and set up the app as a new point of contact would; returns the backup codes."""
    client.force_login(user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=user)
    response = client.post(SETUP, {"code": code(device), "next": INBOX})
    return [li.text.strip() for li in page(response).select(".vse-two-step__codes li")]


def test_a_new_point_of_contact_is_sent_to_set_up_and_can_do_it(client, sender):
    client.force_login(sender)
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"] == f"{SETUP}?next={INBOX}"
    setup = client.get(response["Location"])
    assert "no-store" in setup["Cache-Control"] or "no-cache" in setup["Cache-Control"]
    html = page(setup)
    assert html.select_one(".vse-two-step__qr svg") is not None  # drawn here: no image from elsewhere
    device = TOTPDevice.objects.get(user=sender, confirmed=False)
    assert html.select_one(".vse-two-step__key").text.replace(" ", "") == two_factor.grouped_key(device).replace(
        " ", ""
    )
    assert html.select_one("nav.sidebar, #wagtail-sidebar") is None  # no menu before the second step

    wrong = client.post(SETUP, {"code": "000000", "next": INBOX})
    assert "This code is not right." in wrong.content.decode()
    assert not TOTPDevice.objects.get(user=sender).confirmed
    TOTPDevice.objects.get(user=sender).throttle_reset()  # django-otp makes a wrong code wait a moment

    done = client.post(SETUP, {"code": code(device, 1), "next": INBOX})
    codes = [li.text.strip() for li in page(done).select(".vse-two-step__codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=sender).confirmed
    assert client.get(INBOX).status_code == 200  # verified for this session


def test_at_the_next_sign_in_a_code_is_asked(client, sender):
    set_up(client, sender)
    client.logout()
    client.force_login(sender)
    response = client.get(INBOX)
    assert response["Location"] == f"{VERIFY}?next={INBOX}"
    wrong = client.post(VERIFY, {"code": "123456", "next": INBOX})
    assert "This code is not valid." in wrong.content.decode()
    assert client.get(INBOX).status_code == 302
    device = TOTPDevice.objects.get(user=sender)
    device.throttle_reset()  # django-otp makes a wrong code wait before the next try
    response = client.post(VERIFY, {"code": code(device, 1), "next": INBOX})
    assert response.status_code == 302 and response["Location"] == INBOX
    assert client.get(INBOX).status_code == 200


def test_a_code_cannot_be_used_twice(client, sender):
    set_up(client, sender)
    device = TOTPDevice.objects.get(user=sender)
    used = code(device, 1)
    client.logout()
    client.force_login(sender)
    assert client.post(VERIFY, {"code": used, "next": INBOX}).status_code == 302  # the first time
    client.logout()
    client.force_login(sender)
    assert "This code is not valid." in client.post(VERIFY, {"code": used, "next": INBOX}).content.decode()


def test_each_backup_code_works_once(client, sender):
    codes = set_up(client, sender)
    client.logout()
    client.force_login(sender)
    assert client.post(VERIFY, {"code": codes[0], "next": INBOX})["Location"] == INBOX
    client.logout()
    client.force_login(sender)
    assert "This code is not valid." in client.post(VERIFY, {"code": codes[0], "next": INBOX}).content.decode()
    assert StaticToken.objects.filter(device__user=sender).count() == 9


def test_those_who_can_designate_points_of_contact_are_asked_too(client, network_admin):
    for user in (network_admin, builders.make_superuser()):
        client.force_login(user)
        assert client.get(reverse("wagtailadmin_home"))["Location"].startswith(SETUP), user


def test_other_admin_users_are_not_asked(client):
    client.force_login(builders.make_user("editor-only"))
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_signing_out_and_public_pages_stay_open(client, sender):
    client.force_login(sender)
    assert client.get("/").status_code in (200, 404)  # not sent to the second step
    assert client.post(reverse("wagtailadmin_logout")).status_code == 302
    assert not client.get(INBOX).wsgi_request.user.is_authenticated


def test_no_redirect_to_another_site_after_the_code(client, sender):
    client.force_login(sender)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=sender)
    done = client.post(SETUP, {"code": code(device), "next": "https://evil.example/"})
    assert page(done).select_one("a.vse-two-step__continue")["href"] == reverse("wagtailadmin_home")


def test_a_reset_sends_to_set_up_again_and_tells_the_user(client, sender, django_capture_on_commit_callbacks):
    set_up(client, sender)
    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("reset_two_factor", sender.username, stdout=out)
    assert "reset" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=sender).exists()
    assert [email.subject for email in mail.outbox] == ["Your two-step verification was reset"]
    client.logout()
    client.force_login(sender)
    assert client.get(INBOX)["Location"].startswith(SETUP)


def test_a_start_up_check_refuses_a_missing_middleware(settings):
    def errors():
        return [message for message in run_checks() if message.id == "vse_referrals.E005"]

    assert errors() == []
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "vse_referrals.two_factor.TwoFactorMiddleware"]
    assert len(errors()) == 1
    settings.VSE_REFERRALS_TWO_FACTOR_REQUIRED = False  # a demo
    assert errors() == []


def test_the_pages_load_nothing_from_another_host(client, sender):
    client.force_login(sender)
    html = client.get(SETUP).content.decode()
    assert not re.search(r"""(?:src|srcset)\s*=\s*["']?(?:https?:)?//""", html)
    for tag in re.findall(r"<link\b[^>]*>", html):
        assert not re.search(r"""href\s*=\s*["']?(?:https?:)?//""", tag), tag


def test_the_admin_can_still_load_its_icons_and_translations(client, sender):
    # The two-step pages are admin pages: their scripts fetch these, which must not be redirected.
    client.force_login(sender)
    for name in ("wagtailadmin_sprite", "wagtailadmin_javascript_catalog"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(reverse("wagtailadmin_home")).status_code == 302


def reset_url(contact_point):
    return reverse("vse_referrals_contactpoint_modeladmin_reset_two_factor", args=[contact_point.pk])


def edit_url(contact_point):
    return reverse("vse_referrals_contactpoint_modeladmin_edit", args=[contact_point.pk])


def test_a_network_administrator_resets_a_lost_phone(client, sender, network_admin, django_capture_on_commit_callbacks):
    designation = builders.ContactPoint.objects.get(user=sender)
    set_up(client, sender)
    client.logout()
    set_up(client, network_admin)  # administrators verify a second step too
    edit = page(client.get(edit_url(designation)))
    assert edit.find("a", href=reset_url(designation), string=re.compile("Reset two-step verification"))
    confirm = client.get(reset_url(designation)).content.decode()
    assert "Yes, reset" in confirm and TOTPDevice.objects.filter(user=sender).exists()  # nothing before confirming
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reset_url(designation), follow=True)
    assert "reset: they set it up again at their next sign-in" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=sender).exists()
    assert not StaticToken.objects.filter(device__user=sender).exists()
    assert [(email.to, email.subject) for email in mail.outbox] == [
        ([sender.email], "Your two-step verification was reset")
    ]
    # Nothing left to reset: no button.
    assert not page(client.get(edit_url(designation))).find("a", href=reset_url(designation))


def test_only_network_administrators_can_reset(client, sender, receiver):
    designation = builders.ContactPoint.objects.get(user=sender)
    set_up(client, sender)
    client.logout()
    set_up(client, receiver)  # a point of contact of another organisation, verified
    response = client.post(reset_url(designation))
    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))  # "no permission"
    assert TOTPDevice.objects.filter(user=sender, confirmed=True).exists()


def test_the_two_step_pages_ask_to_sign_in_first(client):
    for url in (SETUP, VERIFY):
        response = client.get(url)
        assert response.status_code == 302 and reverse("wagtailadmin_login") in response["Location"], url


def test_an_empty_code_is_explained(client, sender):
    client.force_login(sender)
    response = client.post(SETUP, {"code": "  ", "next": INBOX})
    assert "This field is required." in response.content.decode()
    assert not TOTPDevice.objects.filter(user=sender, confirmed=True).exists()


def test_spaces_in_a_code_and_the_query_of_the_page_asked_for_are_kept_apart(client, sender):
    set_up(client, sender)
    client.logout()
    client.force_login(sender)
    asked = f"{INBOX}?tab=outgoing&status=requested"
    response = client.get(asked)
    assert response["Location"] == f"{VERIFY}?next={quote(asked)}"  # one parameter, the whole address
    device = TOTPDevice.objects.get(user=sender)
    typed = code(device, 1)
    response = client.post(VERIFY, {"code": f"{typed[:3]} {typed[3:]}", "next": asked})
    assert response["Location"] == asked


def test_set_up_twice_goes_to_the_code_page_with_the_whole_address(client, sender):
    set_up(client, sender)
    asked = f"{INBOX}?tab=closed&q=x"
    assert client.get(SETUP, {"next": asked})["Location"] == f"{VERIFY}?next={quote(asked)}"
