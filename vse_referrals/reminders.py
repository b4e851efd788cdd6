"""Deadline reminders, escalation and expiry, run by cron (`send_referral_reminders`).

Idempotent: each stage of each clock is recorded once (`DeadlineAlert`), so running the command
every few minutes or twice at once sends each reminder once. Cases are read in batches
(`batches.in_batches`): a run's memory does not grow with the network. A completed run is
recorded (`monitoring.record_run`) for the health endpoint.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from . import conf, monitoring, notifications, workflow
from .batches import garbage_collected_as_it_goes, in_batches
from .models import CONTACT_CLOCK, RESPOND_CLOCK, CaseEvent, DeadlineAlert, EventKind, ReferralCase


@dataclass
class ReminderRun:
    reminders: int = 0
    overdue: int = 0
    expired: int = 0
    retried: int = 0
    conflicts: list = field(default_factory=list)


def run(now=None):
    with garbage_collected_as_it_goes():
        return _run(now or timezone.now())


def _run(now):
    result = ReminderRun()
    cases = ReferralCase.objects.metadata().select_related("sending_organisation", "receiving_organisation")
    for case in in_batches(cases.awaiting_answer().filter(respond_by__isnull=False, sent_at__isnull=False)):
        _check_clock(case, RESPOND_CLOCK.name, case.sent_at, case.respond_by, now, result)
    for case in in_batches(cases.contact_clock_running().filter(contact_by__isnull=False)):
        _check_clock(case, CONTACT_CLOCK.name, case.answered_at or case.sent_at, case.contact_by, now, result)
    for case in in_batches(cases.expirable(now)):
        try:
            workflow.perform(case, "expire", now=now)
            result.expired += 1
        except workflow.TransitionConflict:
            result.conflicts.append(case.reference)
    result.retried = notifications.retry_undelivered()
    monitoring.record_run(monitoring.REMINDERS)
    return result


def _check_clock(case, clock, start, deadline, now, result):
    if now >= deadline:
        if _record(case, clock, DeadlineAlert.Stage.OVERDUE, deadline):
            # The receiver is reminded (all its contact points, deputy included) and the sender told.
            notifications.notify(case, [case.receiving_organisation, case.sending_organisation], "overdue")
            CaseEvent.objects.create(case=case, kind=EventKind.OVERDUE, detail=clock)
            result.overdue += 1
        return
    window = deadline - start
    due = [
        stage
        for fraction, stage in zip(
            conf.get("REMINDER_FRACTIONS"), (DeadlineAlert.Stage.HALF, DeadlineAlert.Stage.NINETY), strict=True
        )
        if now >= start + window * fraction
    ]
    # After a pause in cron only the latest stage is sent; the earlier ones are marked as done.
    newly = [stage for stage in due if _record(case, clock, stage, deadline)]
    if newly and newly[-1] == due[-1]:
        told = case.receiving_organisation
        notifications.notify(case, [told], f"reminder-{newly[-1]}")
        CaseEvent.objects.create(case=case, kind=EventKind.REMINDER, detail=f"{clock} {newly[-1]}")
        result.reminders += 1


def _record(case, clock, stage, deadline):
    """True the first time this stage of this clock (for this deadline) is reached."""
    try:
        with transaction.atomic():
            DeadlineAlert.objects.create(case=case, clock=clock, stage=stage, deadline=deadline)
    except IntegrityError:
        return False
    return True
