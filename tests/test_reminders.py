"""Deadline reminders, escalation and expiry (vse_referrals.reminders), run with a controlled `now`.

E-mails leave on commit; the `django_db` test transaction never commits, so each run and each
action that should e-mail is wrapped in `django_capture_on_commit_callbacks(execute=True)`.
"""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from vse_referrals import conf, reminders, workflow
from vse_referrals.models import (
    CaseEvent,
    DeadlineAlert,
    EventKind,
    Notification,
    Outcome,
    ReasonCode,
    ReferralCase,
    Status,
)

from . import builders

pytestmark = pytest.mark.django_db

RECEIVER_SIDE = ["deputy-b@example.org", "receiver-b@example.org"]
SENDER_SIDE = ["sender-a@example.org"]


def at(case, clock, fraction):
    """The moment `fraction` of the clock's window has passed."""
    if clock == "respond":
        start, deadline = case.sent_at, case.respond_by
    else:
        start, deadline = case.answered_at, case.contact_by
    return start + (deadline - start) * fraction


def recipients():
    return sorted(message.to[0] for message in mail.outbox)


def kinds(case):
    return sorted(Notification.objects.filter(case=case).values_list("kind", flat=True))


def footprint(case):
    """Everything a reminder run leaves behind, to compare two runs."""
    return (
        len(mail.outbox),
        Notification.objects.filter(case=case).count(),
        DeadlineAlert.objects.filter(case=case).count(),
        CaseEvent.objects.filter(case=case).count(),
    )


def alerts(case):
    return sorted(DeadlineAlert.objects.filter(case=case).values_list("clock", "stage"))


def reminder_events(case):
    return list(
        CaseEvent.objects.filter(case=case, kind__in=(EventKind.REMINDER, EventKind.OVERDUE))
        .order_by("created_at", "pk")
        .values_list("kind", "detail")
    )


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def run(committed):
    def run_at(now=None):
        with committed():
            return reminders.run(now=now)

    return run_at


@pytest.fixture
def case(sender, receiver, receiver_deputy, org_b, committed):
    """A referral sent a moment ago (urgent: 72 hours to answer); its "sent" e-mails are cleared."""
    with committed():
        case = builders.sent_case(sender, org_b, priority="urgent")
    mail.outbox.clear()
    Notification.objects.all().delete()
    return case


@pytest.fixture
def accepted(case, receiver, committed):
    with committed():
        case = workflow.perform(case, "accept", builders.acting(receiver))
    mail.outbox.clear()
    Notification.objects.all().delete()
    return case


# The answer clock -------------------------------------------------------------------------------


def test_nothing_before_half_of_the_time(case, run):
    result = run(at(case, "respond", 0.5) - timedelta(seconds=1))
    assert (result.reminders, result.overdue, result.expired) == (0, 0, 0)
    assert mail.outbox == []
    assert alerts(case) == []
    assert reminder_events(case) == []


def test_half_time_reminds_the_receiving_contact_points(case, run):
    result = run(at(case, "respond", 0.5))
    assert result.reminders == 1
    assert recipients() == RECEIVER_SIDE
    assert kinds(case) == ["reminder-50", "reminder-50"]
    assert alerts(case) == [("respond", "50")]
    assert reminder_events(case) == [(EventKind.REMINDER, "respond 50")]


def test_ninety_percent_reminds_again(case, run):
    run(at(case, "respond", 0.5))
    mail.outbox.clear()
    result = run(at(case, "respond", 0.9))
    assert result.reminders == 1
    assert recipients() == RECEIVER_SIDE
    assert kinds(case) == ["reminder-50", "reminder-50", "reminder-90", "reminder-90"]
    assert alerts(case) == [("respond", "50"), ("respond", "90")]
    assert reminder_events(case) == [(EventKind.REMINDER, "respond 50"), (EventKind.REMINDER, "respond 90")]


def test_reminder_fractions_are_configurable(settings, case, run):
    settings.VSE_REFERRALS_REMINDER_FRACTIONS = (0.25, 0.75)
    run(at(case, "respond", 0.3))
    assert alerts(case) == [("respond", "50")]  # the first stage, reached at 25% here
    assert recipients() == RECEIVER_SIDE


def test_overdue_tells_both_sides_and_is_recorded(case, run):
    result = run(case.respond_by)
    assert (result.overdue, result.expired) == (1, 0)
    assert recipients() == sorted(RECEIVER_SIDE + SENDER_SIDE)
    assert set(kinds(case)) == {"overdue"}
    assert reminder_events(case) == [(EventKind.OVERDUE, "respond")]
    assert alerts(case) == [("respond", "overdue")]
    case.refresh_from_db()
    assert case.status == Status.REQUESTED  # expiry waits for the grace period


@pytest.mark.parametrize("fraction", [0.5, 0.9, 0.95, 1.0, 1.2])
def test_running_twice_sends_nothing_new(case, run, fraction):
    now = at(case, "respond", fraction)
    run(now)
    first = footprint(case)
    assert first[0] > 0
    result = run(now)
    assert (result.reminders, result.overdue) == (0, 0)
    assert footprint(case) == first


def test_after_a_long_pause_only_the_latest_reminder_is_sent(case, run):
    result = run(at(case, "respond", 0.95))
    assert result.reminders == 1
    assert recipients() == RECEIVER_SIDE
    assert kinds(case) == ["reminder-90", "reminder-90"]
    assert alerts(case) == [("respond", "50"), ("respond", "90")]  # the half-time stage is done too
    assert reminder_events(case) == [(EventKind.REMINDER, "respond 90")]

    run(at(case, "respond", 0.97))
    assert len(mail.outbox) == 2


def test_after_a_pause_past_the_deadline_only_the_overdue_notice_is_sent(case, run):
    run(at(case, "respond", 1.1))
    assert set(kinds(case)) == {"overdue"}
    assert recipients() == sorted(RECEIVER_SIDE + SENDER_SIDE)
    assert reminder_events(case) == [(EventKind.OVERDUE, "respond")]


def test_opened_cases_are_reminded_too(case, receiver, run, committed):
    with committed():
        case = workflow.perform(case, "open", builders.acting(receiver))
    mail.outbox.clear()
    run(at(case, "respond", 0.5))
    assert recipients() == RECEIVER_SIDE


# Expiry -----------------------------------------------------------------------------------------


def shift_into_the_past(case, overdue_by):
    """Make the answer deadline lie `overdue_by` in the past (and the case sent 3 days before it)."""
    respond_by = timezone.now() - overdue_by
    ReferralCase.objects.filter(pk=case.pk).update(respond_by=respond_by, sent_at=respond_by - timedelta(days=3))
    case.refresh_from_db()
    return case


def test_an_unanswered_case_expires_after_the_grace_period(settings, case, run):
    settings.VSE_REFERRALS_EXPIRY_GRACE_HOURS = 10
    shift_into_the_past(case, timedelta(hours=10, minutes=1))

    result = run()

    assert result.expired == 1 and result.conflicts == []
    case.refresh_from_db()
    assert (case.status, case.status_reason_code) == (Status.FAILED, ReasonCode.EXPIRED)
    assert case.closed_at is not None
    assert CaseEvent.objects.filter(case=case, kind=EventKind.EXPIRED).count() == 1
    expired_to = sorted(n.recipient.email for n in Notification.objects.filter(case=case, kind=EventKind.EXPIRED))
    assert expired_to == sorted(RECEIVER_SIDE + SENDER_SIDE)
    assert set(recipients()) == set(RECEIVER_SIDE + SENDER_SIDE)


def test_no_expiry_within_the_grace_period(settings, case, run):
    settings.VSE_REFERRALS_EXPIRY_GRACE_HOURS = 10
    shift_into_the_past(case, timedelta(hours=9, minutes=59))
    result = run()
    assert result.expired == 0
    case.refresh_from_db()
    assert case.status == Status.REQUESTED
    assert not Notification.objects.filter(kind=EventKind.EXPIRED).exists()


def test_expiry_happens_once(settings, case, run):
    settings.VSE_REFERRALS_EXPIRY_GRACE_HOURS = 1
    shift_into_the_past(case, timedelta(hours=2))
    run()
    first = footprint(case)
    result = run()
    assert (result.expired, result.reminders, result.overdue, result.conflicts) == (0, 0, 0, [])
    assert footprint(case) == first
    assert CaseEvent.objects.filter(case=case, kind=EventKind.EXPIRED).count() == 1


def test_expiry_follows_the_now_given_to_run(case, run):
    grace = timedelta(hours=conf.get("EXPIRY_GRACE_HOURS"))
    result = run(case.respond_by + grace + timedelta(minutes=1))
    assert (result.expired, result.conflicts) == (1, [])
    case.refresh_from_db()
    assert case.status == Status.FAILED


# The victim-contact clock -----------------------------------------------------------------------


def test_contact_clock_reminds_the_receiver_after_acceptance(accepted, run):
    result = run(at(accepted, "contact", 0.5))
    assert result.reminders == 1
    assert recipients() == RECEIVER_SIDE
    assert alerts(accepted) == [("contact", "50")]
    assert reminder_events(accepted) == [(EventKind.REMINDER, "contact 50")]

    run(at(accepted, "contact", 0.9))
    assert alerts(accepted) == [("contact", "50"), ("contact", "90")]
    assert kinds(accepted) == ["reminder-50", "reminder-50", "reminder-90", "reminder-90"]


def test_contact_clock_runs_while_support_is_in_progress(accepted, receiver, run, committed):
    with committed():
        case = workflow.perform(accepted, "start", builders.acting(receiver))
    mail.outbox.clear()
    run(at(case, "contact", 0.5))
    assert recipients() == RECEIVER_SIDE
    assert alerts(case) == [("contact", "50")]


def test_contact_clock_overdue_tells_both_sides(accepted, run):
    result = run(accepted.contact_by)
    assert result.overdue == 1
    assert recipients() == sorted(RECEIVER_SIDE + SENDER_SIDE)
    assert reminder_events(accepted) == [(EventKind.OVERDUE, "contact")]
    accepted.refresh_from_db()
    assert accepted.status == Status.ACCEPTED  # nothing expires once accepted


def test_contact_clock_stops_once_the_victim_was_contacted(accepted, receiver, run, committed):
    run(at(accepted, "contact", 0.5))
    with committed():
        case = workflow.perform(accepted, "record_contact", builders.acting(receiver))
    mail.outbox.clear()
    before = footprint(case)
    for fraction in (0.9, 1.0, 2.0):
        run(at(case, "contact", fraction))
    assert mail.outbox == []
    assert footprint(case) == before


def test_the_answer_clock_stops_once_accepted(accepted, run):
    run(accepted.respond_by + timedelta(days=3))
    assert [stage for clock, stage in alerts(accepted) if clock == "respond"] == []
    assert [detail for _kind, detail in reminder_events(accepted) if detail.startswith("respond")] == []
    accepted.refresh_from_db()
    assert accepted.status == Status.ACCEPTED


# Closed cases -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "status"),
    [
        (["decline"], Status.REJECTED),
        (["withdraw"], Status.CANCELLED),
        (["withdraw_consent"], Status.CANCELLED),
        (["accept", "close"], Status.COMPLETED),
        (["accept", ("close", Outcome.UNREACHABLE)], Status.FAILED),
    ],
)
def test_closed_cases_get_nothing(case, sender, receiver, run, committed, steps, status):
    with committed():
        for step in steps:
            name, outcome = step if isinstance(step, tuple) else (step, Outcome.SUPPORTED)
            user = sender if workflow.TRANSITIONS[name].side == "sender" else receiver
            case = workflow.perform(case, name, builders.acting(user), reason="A reason", outcome=outcome)
    assert case.status == status
    mail.outbox.clear()
    before = footprint(case)
    for moment in (
        at(case, "respond", 0.5),
        at(case, "respond", 0.95),
        case.respond_by,
        case.contact_by + timedelta(days=30),
    ):
        result = run(moment)
        assert (result.reminders, result.overdue, result.expired) == (0, 0, 0)
    assert mail.outbox == []
    assert footprint(case) == before


def test_an_expired_case_gets_nothing_more(settings, case, run):
    settings.VSE_REFERRALS_EXPIRY_GRACE_HOURS = 1
    shift_into_the_past(case, timedelta(hours=2))
    run()
    mail.outbox.clear()
    before = footprint(case)
    run(case.respond_by + timedelta(days=30))
    assert mail.outbox == []
    assert footprint(case) == before


# The cron command -------------------------------------------------------------------------------


def test_the_reminder_command_sends_reminders_once(case, committed):
    ReferralCase.objects.filter(pk=case.pk).update(
        sent_at=timezone.now() - timedelta(days=2), respond_by=timezone.now() + timedelta(days=1)
    )
    output = io.StringIO()
    with committed():
        call_command("send_referral_reminders", stdout=output)
    assert "Reminders: 1," in output.getvalue()
    assert recipients() == RECEIVER_SIDE
    assert alerts(case) == [("respond", "50")]

    output = io.StringIO()
    with committed():
        call_command("send_referral_reminders", stdout=output)
    assert "Reminders: 0," in output.getvalue()
    assert len(mail.outbox) == 2


def test_the_reminder_command_expires_unanswered_cases(settings, case, committed):
    settings.VSE_REFERRALS_EXPIRY_GRACE_HOURS = 1
    shift_into_the_past(case, timedelta(hours=2))
    output = io.StringIO()
    with committed():
        call_command("send_referral_reminders", stdout=output)
    assert "expired: 1," in output.getvalue()
    case.refresh_from_db()
    assert (case.status, case.status_reason_code) == (Status.FAILED, ReasonCode.EXPIRED)
