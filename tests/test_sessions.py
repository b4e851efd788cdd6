"""Session timeouts (vse_referrals.sessions): signed out after idling, and after a maximum
duration whatever the activity; the next page asks to sign in again and says why."""

import time

import pytest
from django.core.checks import run_checks
from django.urls import reverse
from django.utils import translation

from vse_referrals import sessions

pytestmark = pytest.mark.django_db

INBOX = reverse("vse_referrals:inbox")
MINUTE, HOUR = 60, 3600


@pytest.fixture
def clock(monkeypatch):
    """The time the middleware sees, moved by the test."""
    now = [time.time()]
    monkeypatch.setattr(sessions.time, "time", lambda: now[0])

    def advance(seconds):
        now[0] += seconds

    return advance


@pytest.fixture
def signed_in(client, sender, clock):
    client.force_login(sender)  # the sign-in starts the clocks
    assert client.get(INBOX).status_code == 200
    return client


def signed_out(response):
    return response.status_code == 302 and reverse("wagtailadmin_login") in response["Location"]


def test_activity_keeps_the_session_open(signed_in, clock):
    for _ in range(8):  # four hours, a request every half hour minus a minute
        clock(29 * MINUTE)
        assert signed_in.get(INBOX).status_code == 200


def test_idle_for_too_long_signs_out_and_says_why(signed_in, clock):
    clock(31 * MINUTE)
    response = signed_in.get(INBOX)
    assert signed_out(response)
    login_page = signed_in.get(response["Location"]).content.decode()
    assert "You were signed out after 30 minutes without activity." in login_page
    assert signed_out(signed_in.get(INBOX))  # really signed out, not only redirected once


# What the browser requests by itself: every admin page loads the JavaScript catalogue and the
# icon sprite; an open editor pings its editing session and releases it on leaving.
BACKGROUND_REQUESTS = {
    "JavaScript catalogue": ("get", reverse("wagtailadmin_javascript_catalog")),
    "icon sprite": ("get", reverse("wagtailadmin_sprite")),
    "editing session ping": (
        "post",
        reverse("wagtailadmin_editing_sessions:ping", args=["wagtailcore", "page", "1", 0]),
    ),
    "editing session release": ("post", reverse("wagtailadmin_editing_sessions:release", args=[0])),
}


@pytest.mark.parametrize("request_name", BACKGROUND_REQUESTS)
def test_requests_the_browser_makes_by_itself_do_not_keep_the_session_alive(signed_in, clock, request_name):
    method, url = BACKGROUND_REQUESTS[request_name]
    for _ in range(40):  # twenty minutes of background requests, nobody at the desk
        clock(30)
        assert getattr(signed_in, method)(url).status_code < 500
    clock(11 * MINUTE)
    assert signed_out(signed_in.get(INBOX))


@pytest.mark.parametrize("request_name", BACKGROUND_REQUESTS)
def test_a_background_request_ends_an_expired_session(signed_in, clock, request_name):
    method, url = BACKGROUND_REQUESTS[request_name]
    clock(31 * MINUTE)
    getattr(signed_in, method)(url)
    assert "_auth_user_id" not in signed_in.session  # signed out by the background request itself


def test_a_page_a_person_opens_renews_the_session(signed_in, clock):
    clock(20 * MINUTE)
    assert signed_in.get(reverse("wagtailadmin_home")).status_code == 200
    clock(20 * MINUTE)  # forty minutes after signing in, twenty after the last page
    assert signed_in.get(INBOX).status_code == 200


def test_a_session_ends_after_the_maximum_duration_whatever_the_activity(signed_in, clock):
    for _ in range(24):  # twelve hours of activity
        clock(30 * MINUTE - 1)
        signed_in.get(INBOX)
    clock(30 * MINUTE)
    response = signed_in.get(INBOX)
    assert signed_out(response)
    assert "a session lasts at most 12 hours" in signed_in.get(response["Location"]).content.decode()


def test_limits_are_settings(signed_in, clock, settings):
    settings.VSE_REFERRALS_SESSION_IDLE_MINUTES = 5
    clock(6 * MINUTE)
    assert signed_out(signed_in.get(INBOX))


def test_signing_in_again_starts_afresh(client, sender, clock):
    client.force_login(sender)
    clock(13 * HOUR)
    assert signed_out(client.get(INBOX))
    client.force_login(sender)
    assert client.get(INBOX).status_code == 200


def test_anonymous_visitors_are_not_affected(client, clock):
    clock(48 * HOUR)
    assert signed_out(client.get(INBOX))  # asked to sign in, with no session message
    assert "You were signed out" not in client.get(reverse("wagtailadmin_login")).content.decode()


def timeout_warnings():
    return [message for message in run_checks() if message.id == "vse_referrals.W001"]


def test_a_start_up_check_warns_when_the_middleware_is_missing_or_misplaced(settings):
    assert timeout_warnings() == []
    settings.MIDDLEWARE = [
        name for name in settings.MIDDLEWARE if name != sessions.__name__ + ".SessionTimeoutMiddleware"
    ]
    assert len(timeout_warnings()) == 1
    settings.MIDDLEWARE = [sessions.__name__ + ".SessionTimeoutMiddleware", *settings.MIDDLEWARE]  # before auth
    assert len(timeout_warnings()) == 1


def test_the_messages_are_translated():
    with translation.override("fr"):
        assert "minutes" in sessions.SessionTimeoutMiddleware.message("idle")
        assert sessions.SessionTimeoutMiddleware.message("idle") != english_idle_message()
        assert sessions.SessionTimeoutMiddleware.message("absolute") != english_absolute_message()


def english_idle_message():
    with translation.override("en"):
        return sessions.SessionTimeoutMiddleware.message("idle")


def english_absolute_message():
    with translation.override("en"):
        return sessions.SessionTimeoutMiddleware.message("absolute")
