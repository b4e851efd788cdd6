"""Login throttling (django-axes, configured as the README says): repeated failed sign-ins for a
username from one address are refused for an hour with a clear page; others are not affected."""

import runpy
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core.checks import run_checks
from django.urls import reverse
from django.utils import timezone

from . import builders

pytestmark = pytest.mark.django_db

LOGIN = reverse("wagtailadmin_login")
PASSWORD = "correct horse battery staple"
HOME = "198.51.100.7"
ELSEWHERE = "203.0.113.9"


@pytest.fixture
def user(db):
    user = builders.make_user("poc-throttled")
    user.set_password(PASSWORD)
    user.save()
    return user


def sign_in(client, password, address=HOME, username="poc-throttled", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **headers)


def signed_in(response):
    return response.status_code == 302 and reverse("wagtailadmin_login") not in response["Location"]


def test_a_right_password_signs_in(client, user):
    assert signed_in(sign_in(client, PASSWORD))


def test_wrong_passwords_are_refused_then_locked_out(client, user):
    for _ in range(4):
        response = sign_in(client, "guess")
        assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    locked = sign_in(client, "guess")  # the fifth failure locks
    assert locked.status_code == 429
    page = locked.content.decode()
    assert "Too many failed sign-in attempts" in page and "Try again in 60 minutes" in page
    assert PASSWORD not in page and "guess" not in page
    # Even the right password is refused now, from this address.
    response = sign_in(client, PASSWORD)
    assert response.status_code == 429 and not response.wsgi_request.user.is_authenticated


def test_the_lockout_is_for_one_address_only(client, user):
    for _ in range(5):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 429
    # Someone guessing elsewhere cannot lock the real person out.
    assert signed_in(sign_in(client, PASSWORD, address=ELSEWHERE))


def test_a_successful_sign_in_clears_earlier_failures(client, user):
    for _ in range(4):
        sign_in(client, "guess")
    assert signed_in(sign_in(client, PASSWORD))
    client.logout()
    for _ in range(4):
        assert sign_in(client, "guess").status_code == 200  # counting from zero again


def test_the_lockout_ends_after_an_hour(client, user):
    for _ in range(5):
        sign_in(client, "guess")
    assert sign_in(client, PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(hours=1, minutes=1))
    assert signed_in(sign_in(client, PASSWORD))


def throttling_warnings():
    return [message for message in run_checks() if message.id == "vse_referrals.W002"]


def test_a_start_up_check_warns_when_throttling_is_not_installed(settings):
    assert throttling_warnings() == []
    settings.AUTHENTICATION_BACKENDS = [b for b in settings.AUTHENTICATION_BACKENDS if not b.startswith("axes.")]
    assert len(throttling_warnings()) == 1
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "axes.backends.AxesBackend"]
    assert len(throttling_warnings()) == 1  # it must come first, or another backend answers before it


def test_another_username_from_the_same_address_still_signs_in(client, user):
    for _ in range(5):
        sign_in(client, "guess", username="someone-else")
    assert signed_in(sign_in(client, PASSWORD))


def test_guessing_during_the_lockout_does_not_extend_it(client, user):
    for _ in range(5):
        sign_in(client, "guess")
    locked_at = timezone.now() - timedelta(minutes=59)
    AccessAttempt.objects.update(attempt_time=locked_at)
    assert sign_in(client, "guess").status_code == 429  # one more try a minute before the end
    assert AccessAttempt.objects.get().attempt_time == locked_at  # the hour still ends when it would have


PROXY = "10.0.0.2"


def test_behind_a_proxy_the_address_the_proxy_saw_counts(client, user, settings):
    settings.VSE_REFERRALS_PROXY_HOPS = 1
    # An attacker elsewhere, who also writes the victim's address into the header himself.
    for _ in range(5):
        sign_in(client, "guess", address=PROXY, HTTP_X_FORWARDED_FOR=f"{HOME}, {ELSEWHERE}")
    assert sign_in(client, PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=ELSEWHERE).status_code == 429
    # The point of contact, through the same proxy from their own address, is not locked out.
    assert signed_in(sign_in(client, PASSWORD, address=PROXY, HTTP_X_FORWARDED_FOR=HOME))


ATTACKER = "192.0.2.66"
PLACEHOLDER_ENVIRONMENT = {
    "DJANGO_SECRET_KEY": "placeholder-not-secret",
    "WAGTAILADMIN_BASE_URL": "https://intranet.example.org",
    "VSE_REFERRALS_ENCRYPTION_KEYS": "placeholder",
}


def production_proxy_hops(monkeypatch, **environment):
    """VSE_REFERRALS_PROXY_HOPS as the example site's production settings read it from `environment`."""
    monkeypatch.delenv("VSE_REFERRALS_PROXY_HOPS", raising=False)
    for name, value in {**PLACEHOLDER_ENVIRONMENT, **environment}.items():
        monkeypatch.setenv(name, value)
    return runpy.run_module("example_site.settings.production")["VSE_REFERRALS_PROXY_HOPS"]


def test_production_counts_proxies_only_when_told(monkeypatch):
    assert production_proxy_hops(monkeypatch) == 0
    assert production_proxy_hops(monkeypatch, VSE_REFERRALS_PROXY_HOPS="2") == 2


def test_under_the_production_default_a_forged_header_does_not_escape_the_lockout(client, user, settings, monkeypatch):
    settings.VSE_REFERRALS_PROXY_HOPS = production_proxy_hops(monkeypatch)
    # No proxy: the attacker talks to Django directly and writes a new address into the header each time.
    for attempt in range(5):
        sign_in(client, "guess", address=ATTACKER, HTTP_X_FORWARDED_FOR=f"198.18.0.{attempt}")
    for attempt in range(5, 10):
        forged = f"198.18.0.{attempt}"
        assert sign_in(client, "guess", address=ATTACKER, HTTP_X_FORWARDED_FOR=forged).status_code == 429
        assert sign_in(client, PASSWORD, address=ATTACKER, HTTP_X_FORWARDED_FOR=forged).status_code == 429
    assert signed_in(sign_in(client, PASSWORD, address=HOME))  # the point of contact, from their own address


def test_behind_one_appending_proxy_the_lockout_counts_the_real_client(client, user, settings):
    settings.VSE_REFERRALS_PROXY_HOPS = 1

    def through_the_proxy(password, client_address, forged=None):
        # nginx's $proxy_add_x_forwarded_for: what the client sent, then the address the proxy saw.
        header = f"{forged}, {client_address}" if forged else client_address
        return sign_in(client, password, address=PROXY, HTTP_X_FORWARDED_FOR=header)

    for attempt in range(5):
        through_the_proxy("guess", ATTACKER, forged=f"198.18.0.{attempt}")
    for attempt in range(5, 10):
        assert through_the_proxy("guess", ATTACKER, forged=f"198.18.0.{attempt}").status_code == 429
    assert through_the_proxy(PASSWORD, ATTACKER).status_code == 429
    assert signed_in(through_the_proxy(PASSWORD, HOME))


def test_a_start_up_check_warns_behind_a_proxy_without_the_client_address(settings):
    def warnings():
        return [message for message in run_checks() if message.id == "vse_referrals.W003"]

    assert warnings() == []
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert len(warnings()) == 1  # no proxy hops configured
    settings.VSE_REFERRALS_PROXY_HOPS = 1
    assert warnings() == []
