"""E-mails through the database task queue and its worker, as production runs them.

TASKS is switched to django-tasks-db's backend and the worker runs as `manage.py db_worker --batch
--no-startup-delay` does (its `Worker`, without installing signal handlers in the test process).
The outbox row is the unit: claimed, sent, marked sent, in that order (vse_referrals.notifications).
"""

import runpy
import threading
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.checks import run_checks
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django_tasks_db import DatabaseBackend
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from vse_referrals import monitoring, notifications, workflow
from vse_referrals.models import Notification, ReferralCase, Status

from . import builders
from .concurrency import races_threads

DATABASE_QUEUE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


class WorkerDied(BaseException):
    """The process ends between the send and the mark (killed, out of memory, power lost)."""


@pytest.fixture(autouse=True)
def database_queue(settings):
    settings.TASKS = DATABASE_QUEUE


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def run_worker(worker_id="worker-1"):
    """The worker of `manage.py db_worker --batch --no-startup-delay`: runs what is queued, then exits."""
    worker = db_worker.Worker(
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    # Inside the test's transaction there is no connection to recycle between tasks.
    with mock.patch.object(db_worker, "close_old_connections"):
        worker.run()


def email_tasks():
    """The queue's tasks that send e-mails (Wagtail queues its own too: search and reference index)."""
    return DBTaskResult.objects.filter(task_path=notifications.deliver_notification.module_path)


def recipients():
    return sorted(address for message in mail.outbox for address in message.to)


def expire_claims(by=timedelta(seconds=1)):
    """Age the live claims to `by` past the lease, as if that much time had passed."""
    Notification.objects.filter(claimed_at__isnull=False).update(claimed_at=timezone.now() - notifications.lease() - by)


@pytest.fixture
def draft(sender, receiver, receiver_deputy, org_a, org_b):
    return builders.make_case(org_a, org_b, created_by=sender)


def test_emails_are_queued_after_the_commit_and_sent_once_by_the_worker(draft, sender, committed):
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
        assert Notification.objects.count() == 2
        assert not email_tasks().exists(), "queued before the commit"

    assert mail.outbox == []  # nothing is sent in the request's process
    assert email_tasks().ready().count() == 2
    run_worker()

    assert recipients() == ["deputy-b@example.org", "receiver-b@example.org"]
    assert set(email_tasks().values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert all(n.sent_at and n.attempts == 1 and n.claimed_by for n in Notification.objects.all())

    run_worker()
    assert notifications.retry_undelivered() == 0
    assert len(mail.outbox) == 2


def test_a_rolled_back_transition_queues_nothing(draft, sender, committed):
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        workflow.perform(draft, "send", builders.acting(sender))
        raise RuntimeError("the request failed after the transition")

    assert not Notification.objects.exists()
    assert not email_tasks().exists()
    run_worker()
    assert mail.outbox == []
    assert ReferralCase.objects.get(pk=draft.pk).status == Status.DRAFT


def test_a_queue_failing_after_the_commit_loses_nothing_and_the_cron_sends(draft, sender, committed):
    with mock.patch.object(DatabaseBackend, "enqueue", side_effect=OperationalError("the database went away")):
        with committed():
            case = workflow.perform(draft, "send", builders.acting(sender))  # no error page: it committed
    assert ReferralCase.objects.get(pk=case.pk).status == Status.REQUESTED
    assert not email_tasks().exists()
    assert notifications.retry_undelivered() == 2
    assert recipients() == ["deputy-b@example.org", "receiver-b@example.org"]


def test_a_worker_dying_after_the_send_leaves_the_row_claimed_until_the_lease_expires(draft, sender, committed):
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    with mock.patch.object(notifications, "mark_sent", side_effect=WorkerDied):
        run_worker()  # each task dies after its send; the worker records it as failed
    assert len(mail.outbox) == 2
    assert set(email_tasks().values_list("status", flat=True)) == {"FAILED"}
    assert not Notification.objects.filter(sent_at__isnull=False).exists()

    # While the claims are live, neither a queued task nor the cron sends them again.
    for notification in Notification.objects.all():
        notifications.deliver_notification.enqueue(notification.pk)
    run_worker("worker-2")
    expire_claims(by=-timedelta(seconds=5))  # five seconds before the lease ends
    assert notifications.retry_undelivered() == 0
    assert len(mail.outbox) == 2

    # Once the lease has expired, the cron's retry sends each once more, and marks it.
    expire_claims()
    assert notifications.retry_undelivered() == 2
    assert len(mail.outbox) == 4
    assert recipients() == ["deputy-b@example.org"] * 2 + ["receiver-b@example.org"] * 2
    assert all(n.sent_at and n.attempts == 1 for n in Notification.objects.all())
    expire_claims(by=timedelta(days=1))
    assert notifications.retry_undelivered() == 0
    run_worker("worker-3")
    assert len(mail.outbox) == 4


def test_a_failed_send_frees_the_row_for_the_next_retry_at_once(settings, draft, sender, committed):
    settings.EMAIL_BACKEND = "tests.test_notifications.UnreachableBackend"
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    run_worker()
    assert all(
        (n.sent_at, n.claimed_at, n.attempts, n.last_error) == (None, None, 1, "ConnectionRefusedError")
        for n in Notification.objects.all()
    )

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications.retry_undelivered() == 2
    assert recipients() == ["deputy-b@example.org", "receiver-b@example.org"]


def test_the_oldest_unsent_email_is_measured_for_health_checks(draft, sender, committed):
    assert monitoring.outbox_backlog() == (0, None, 0)
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    created = Notification.objects.earliest("created_at").created_at
    assert monitoring.outbox_backlog() == (2, created, 0)

    Notification.objects.filter(created_at=created).update(attempts=notifications.MAX_ATTEMPTS)
    unsent, oldest, given_up = monitoring.outbox_backlog()
    assert (unsent, given_up) == (1, 1) and oldest is not None  # the other one still waits
    run_worker()
    assert monitoring.outbox_backlog() == (0, None, 1)


@races_threads
def test_two_workers_racing_on_the_same_rows_send_each_email_once(sender, receiver, receiver_deputy, org_b):
    cases = 5
    for _ in range(cases):
        builders.sent_case(sender, org_b)  # commits: each queues two e-mails
    pending = list(Notification.objects.order_by("pk").values_list("pk", flat=True))
    assert len(pending) == 2 * cases and email_tasks().count() == 2 * cases
    email_tasks().delete()
    for pk in pending:  # each row queued three times in a row: the two workers take its tasks together
        for _ in range(3):
            notifications.deliver_notification.enqueue(pk)
    mail.outbox = []

    barrier = threading.Barrier(2)
    errors = []

    def race(run):
        try:
            barrier.wait(timeout=10)
            run()
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(repr(error))
        finally:
            connection.close()

    def worker(worker_id):
        return lambda: db_worker.Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id=worker_id,
            excluded_queue_names=[],
        ).run()

    threads = [threading.Thread(target=race, args=(worker(worker_id),)) for worker_id in ("worker-1", "worker-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert len(mail.outbox) == 2 * cases
    assert sorted(recipients()) == sorted(["deputy-b@example.org", "receiver-b@example.org"] * cases)
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}
    assert email_tasks().exclude(status="SUCCESSFUL").count() == 0


# Production settings ---------------------------------------------------------------------------


def test_production_sends_emails_through_the_database_queue(monkeypatch):
    environment = {
        "DJANGO_SECRET_KEY": "placeholder-not-secret",
        "WAGTAILADMIN_BASE_URL": "https://intranet.example.org",
        "VSE_REFERRALS_ENCRYPTION_KEYS": "placeholder",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DJANGO_EMAIL_TIMEOUT", raising=False)
    production = runpy.run_module("example_site.settings.production")

    assert production["TASKS"] == DATABASE_QUEUE
    assert "django_tasks_db" in production["INSTALLED_APPS"]
    assert production["EMAIL_TIMEOUT"] < notifications.lease().total_seconds()


@pytest.mark.parametrize(
    "backend, timeout, warned",
    [
        ("django.core.mail.backends.smtp.EmailBackend", None, True),
        ("django.core.mail.backends.smtp.EmailBackend", 600, True),
        ("django.core.mail.backends.smtp.EmailBackend", 30, False),
        ("django.core.mail.backends.locmem.EmailBackend", None, False),
    ],
)
def test_a_mail_server_timeout_beyond_the_lease_is_warned(settings, backend, timeout, warned):
    settings.EMAIL_BACKEND = backend
    settings.EMAIL_TIMEOUT = timeout
    assert ("vse_referrals.W006" in [message.id for message in run_checks()]) is warned
