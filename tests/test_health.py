"""The health endpoint (vse_referrals/health.py, views/health.py): who may read it, each check
passing and failing, and what it never shows or lets a cache keep."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import OperationalError
from django.utils import timezone

from vse_referrals import health, monitoring
from vse_referrals.models import JobRun, Notification

from . import builders

pytestmark = pytest.mark.django_db

URL = "/health/"
READY_URL = "/health/ready/"
TOKEN = "health-token-8f2d1c"
SENTINEL = "Zyxwvutsrq Sentinel-4711"


@pytest.fixture
def monitor(settings):
    """The endpoint open to the test client's address (127.0.0.1), the reminders just run."""
    settings.VSE_REFERRALS_HEALTH_ALLOWED_ADDRESSES = ["127.0.0.0/8", "2001:db8::/32"]
    monitoring.record_run(monitoring.REMINDERS)
    return settings


def checks(response):
    return {name: result["status"] for name, result in response.json()["checks"].items()}


# Who may read it ---------------------------------------------------------------------------------


def test_all_checks_pass_from_an_allowed_address(client, monitor):
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert checks(response) == {"database": "ok", "attachment_storage": "ok", "outbox": "ok", "reminders": "ok"}


def test_nobody_may_read_it_by_default(client):
    assert client.get(URL).status_code == 404
    assert client.get(READY_URL).status_code == 404


def test_another_address_gets_404(client, monitor):
    assert client.get(URL, REMOTE_ADDR="203.0.113.9").status_code == 404
    assert client.get(URL, REMOTE_ADDR="2001:db9::1").status_code == 404
    assert client.get(URL, REMOTE_ADDR="2001:db8::1").status_code == 200


def test_the_address_is_the_clients_behind_proxies(client, monitor):
    monitor.VSE_REFERRALS_PROXY_HOPS = 1
    # The proxy (allowed) forwards a client that is not: the client's address decides.
    assert client.get(URL, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9").status_code == 404
    # What a client writes in the header itself is not believed.
    forged = "127.0.0.1, 203.0.113.9"
    assert client.get(URL, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=forged).status_code == 404
    assert client.get(URL, REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9, 127.0.0.5").status_code == 200


def test_the_token_opens_it_from_anywhere_over_https(client, settings):
    settings.VSE_REFERRALS_HEALTH_TOKEN = TOKEN
    response = client.get(URL, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}", secure=True)
    assert response.status_code in (200, 503)
    assert set(checks(response)) == {"database", "attachment_storage", "outbox", "reminders"}


def test_the_token_over_plain_http_opens_nothing(client, settings):
    settings.VSE_REFERRALS_HEALTH_TOKEN = TOKEN
    assert client.get(URL, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 404


@pytest.mark.parametrize(
    "header",
    [None, f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", f"bearer {TOKEN}", TOKEN, f"Basic {TOKEN}", "Bearer "],
)
def test_a_wrong_or_missing_token_gets_404(client, settings, header):
    settings.VSE_REFERRALS_HEALTH_TOKEN = TOKEN
    extra = {"HTTP_AUTHORIZATION": header} if header is not None else {}
    assert client.get(URL, REMOTE_ADDR="203.0.113.9", secure=True, **extra).status_code == 404


def test_the_token_in_the_url_opens_nothing(client, settings):
    settings.VSE_REFERRALS_HEALTH_TOKEN = TOKEN
    assert client.get(URL, {"token": TOKEN}, REMOTE_ADDR="203.0.113.9").status_code == 404


def test_no_token_configured_is_not_an_empty_token(client):
    assert client.get(URL, REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_other_methods(client, monitor):
    assert client.post(URL, REMOTE_ADDR="203.0.113.9").status_code == 404  # not revealed
    assert client.post(URL).status_code == 405
    assert client.head(URL).status_code == 200


# Each check ----------------------------------------------------------------------------------------


def test_the_database_failing(client, monitor, monkeypatch):
    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused to db.internal")

    monkeypatch.setattr(health, "connection", Unreachable())
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == {"status": "fail", "error": "OperationalError"}
    assert b"db.internal" not in response.content


def test_the_storage_probe_leaves_nothing_behind(client, monitor, private_attachment_root):
    assert client.get(READY_URL).status_code == 200
    assert not any(path.is_file() for path in private_attachment_root.rglob("*"))


def test_attachment_storage_not_writable(client, monitor, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    monitor.VSE_REFERRALS_ATTACHMENT_ROOT = blocked
    for url in (URL, READY_URL):
        response = client.get(url)
        assert response.status_code == 503
        assert response.json()["checks"]["attachment_storage"]["status"] == "fail"
        assert str(tmp_path).encode() not in response.content


def test_attachment_storage_unreadable_with_the_keys(client, monitor, monkeypatch):
    monkeypatch.setattr(health, "PROBE", b"something else")  # what is read back is not what was written
    monkeypatch.setattr(health.crypto, "decrypt_bytes", lambda token: b"vse_referrals health probe")
    assert checks(client.get(URL))["attachment_storage"] == "fail"


def _unsent(age, **fields):
    notification = Notification.objects.create(recipient=builders.make_user(), kind="message", **fields)
    Notification.objects.filter(pk=notification.pk).update(created_at=timezone.now() - age)
    return notification


def test_outbox_backlog(client, monitor):
    _unsent(timedelta(minutes=5))
    Notification.objects.filter(pk=_unsent(timedelta(days=3)).pk).update(sent_at=timezone.now())
    result = client.get(URL).json()["checks"]["outbox"]
    assert result["status"] == "ok"
    assert result["unsent"] == 1
    assert 5 * 60 <= result["oldest_unsent_seconds"] < 6 * 60
    assert result["limit_seconds"] == 30 * 60


def test_outbox_backlog_too_old(client, monitor):
    _unsent(timedelta(minutes=5))
    _unsent(timedelta(minutes=31))
    response = client.get(URL)
    assert response.status_code == 503
    assert response.json()["checks"]["outbox"]["status"] == "fail"
    assert response.json()["checks"]["outbox"]["unsent"] == 2
    monitor.VSE_REFERRALS_HEALTH_OUTBOX_MAX_AGE_MINUTES = 60
    assert client.get(URL).status_code == 200


def test_reminders_recorded_by_the_cron_job(client, settings):
    settings.VSE_REFERRALS_HEALTH_ALLOWED_ADDRESSES = ["127.0.0.1"]
    assert checks(client.get(URL))["reminders"] == "fail"  # never run
    assert client.get(URL).json()["checks"]["reminders"]["last_completed"] is None
    call_command("send_referral_reminders", stdout=io.StringIO())
    call_command("send_referral_reminders", stdout=io.StringIO())
    assert JobRun.objects.count() == 1
    response = client.get(URL)
    assert checks(response)["reminders"] == "ok"
    assert response.status_code == 200


def test_reminders_stale(client, monitor):
    JobRun.objects.filter(job=monitoring.REMINDERS).update(completed_at=timezone.now() - timedelta(minutes=31))
    response = client.get(URL)
    assert response.status_code == 503
    result = response.json()["checks"]["reminders"]
    assert result["status"] == "fail"
    assert 31 * 60 <= result["age_seconds"] < 32 * 60
    monitor.VSE_REFERRALS_HEALTH_REMINDERS_MAX_AGE_MINUTES = 45
    assert client.get(URL).status_code == 200


def test_the_load_balancers_check_ignores_the_background_work(client, monitor):
    """A stale cron or a mail outage is the monitor's alarm: taking every app server out of the
    load balancer would not fix it."""
    JobRun.objects.all().delete()
    _unsent(timedelta(days=1))
    assert client.get(URL).status_code == 503
    response = client.get(READY_URL)
    assert response.status_code == 200
    assert checks(response) == {"database": "ok", "attachment_storage": "ok"}


# What it never shows or lets be kept ---------------------------------------------------------------


def test_no_personal_data(client, monitor, roles, sender, org_b):
    case = builders.sent_case(sender, org_b, name=SENTINEL, referral_reason=SENTINEL)
    recipient = builders.make_user(username="sentinel-4711")
    _unsent(
        timedelta(hours=2),
        case=case,
        address="sentinel-4711@example.org",
        details={"organisation": SENTINEL},
        last_error="SMTPRecipientsRefused",
    )
    Notification.objects.create(recipient=recipient, kind="password-changed")
    response = client.get(URL)
    assert response.status_code == 503
    content = response.content.decode()
    for secret in (SENTINEL, "4711", "sentinel", case.reference, str(case.pk), "SMTP", "example.org"):
        assert secret not in content


def test_never_cached_and_under_the_security_headers(client, monitor):
    response = client.get(URL)
    cache_control = response["Cache-Control"]
    for directive in ("no-cache", "no-store", "must-revalidate", "private", "max-age=0"):
        assert directive in cache_control
    assert "Expires" in response
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert response["Content-Type"] == "application/json"


def test_queries_do_not_grow_with_the_outbox(client, monitor, django_assert_num_queries):
    with django_assert_num_queries(3):
        assert client.get(URL).status_code == 200
    for _number in range(20):
        _unsent(timedelta(minutes=1))
    with django_assert_num_queries(3):
        assert client.get(URL).status_code == 200
