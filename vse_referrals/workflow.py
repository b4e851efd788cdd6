"""The referral state machine: every transition, who may make it, what it records, whom it tells.

Statuses follow HL7 FHIR Task.status (see `models.referrals.Status`):

    draft --send--> requested --opened by the receiver--> received
    requested|received --accept--> accepted --start--> in-progress
    requested|received --decline(reason)--> rejected
    accepted|in-progress --request information(reason)--> on-hold --give information--> back
    accepted|in-progress --close(outcome)--> completed | failed
    any open --withdraw(reason)--> cancelled;   draft|open --withdraw consent--> cancelled
    requested|received --deadline + grace passed (cron)--> failed ("expired")

A transition is atomic: the row is locked and the status changed by a conditional UPDATE, so of
two people acting at once exactly one succeeds and the other gets `TransitionConflict`.
Messages, files, views and downloads are recorded here too, so the timeline has one author.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import attachments, audit, conf, notifications
from .models import (
    AWAITING_ANSWER,
    CLOSED_STATUSES,
    CONTACT_CLOCK,
    OPEN_STATUSES,
    AuditAction,
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    EventKind,
    Outcome,
    ReasonCode,
    ReferralCase,
    Side,
    Status,
)
from .sanitize import has_text, sanitize_html
from .statistics import tally


class WorkflowError(Exception):
    """A transition that cannot happen; `str()` is a message for the person who tried."""


class TransitionNotAllowed(WorkflowError):
    pass


class TransitionConflict(WorkflowError):
    pass


@dataclass(frozen=True)
class Change:
    """What a transition does to one case: the new status, the columns it sets, the event."""

    target: str
    columns: dict = field(default_factory=dict)
    event: str = ""


@dataclass(frozen=True)
class Transition:
    """One row of the table: who makes it, from where, what it asks, records and tells."""

    name: str
    label: str
    side: str  # a `Side`
    sources: tuple
    target: str | None  # None: the status stays (or `effects` decides)
    event: str
    tells: tuple = ()  # the sides whose contact points are told (the receiver only once it was sent)
    stamp: str = ""  # the time column set to the moment of the transition
    reason_label: str = ""  # the reason it asks for, required unless `reason_required_for` says when
    reason_required_for: tuple = ()  # with an outcome: the outcomes that need the reason
    reason_field: str = "status_reason"  # where the reason is kept ("" when `effects` keeps it)
    reason_in_conversation: bool = False  # the reason is also a message of the conversation
    needs_outcome: bool = False
    guard: Callable | None = None  # (case, now) -> bool: a condition beyond the source status
    check: Callable | None = None  # (case) -> {field: message}: what must be complete beforehand
    effects: Callable | None = None  # (transition, case, current, now, reason, outcome) -> dict of columns
    manual: bool = True  # offered as a button on the case page
    done_message: str = ""  # what the person who made it is told it did
    style: str = "button-secondary"
    confirm: str = ""  # a question asked before an irreversible transition without a reason

    @property
    def asks_first(self):
        return bool(self.reason_label or self.needs_outcome or self.confirm)

    def requires_reason(self, outcome=""):
        if self.needs_outcome:
            return outcome in self.reason_required_for
        return bool(self.reason_label)

    def applies(self, case, now):
        return case.status in self.sources and (self.guard is None or self.guard(case, now))

    def change(self, case, current, now, reason, outcome):
        """The new status, the columns to set and the event to record, from the locked row `current`.

        `effects` may set "status" and "event" too, when they depend on the outcome or the past."""
        columns = {"updated_at": now}
        if self.stamp:
            columns[self.stamp] = now
        if self.reason_label and self.reason_field:
            columns[self.reason_field] = reason
        if self.effects:
            columns.update(self.effects(case=case, current=current, now=now, reason=reason, outcome=outcome))
        target = columns.pop("status", self.target or current.status)
        event = columns.pop("event", self.event)
        if target in CLOSED_STATUSES:
            columns["closed_at"] = now
            columns.setdefault("purge_after", now + timedelta(days=conf.get("RETENTION_DAYS")))
        return Change(target, columns, event)


# Effects beyond the declared stamp and reason, one function per transition that has any.


def _deadlines(case, now, **kwargs):
    respond_by, contact_by = default_deadlines(case.priority, now, case.respond_by)
    return {"respond_by": respond_by, "contact_by": case.contact_by or contact_by}


def _hold(current, reason, **kwargs):
    return {"status_before_hold": current.status, "status_reason": reason}


def _resume(current, **kwargs):
    # Back to the status before the request; the question stays on the timeline and the answer
    # goes to the conversation.
    return {"status": current.status_before_hold or Status.ACCEPTED, "status_before_hold": "", "status_reason": ""}


def _close(outcome, reason, **kwargs):
    if outcome == Outcome.UNREACHABLE:
        # The notes stay in the outcome, which the sender sees only with the victim's consent.
        return {
            "status": Status.FAILED,
            "event": EventKind.FAILED,
            "outcome": outcome,
            "outcome_notes": reason,
            "status_reason_code": ReasonCode.VICTIM_UNREACHABLE,
        }
    return {"status": Status.COMPLETED, "outcome": outcome, "outcome_notes": reason}


def _consent_withdrawn(now, **kwargs):
    return {"status_reason_code": ReasonCode.CONSENT_WITHDRAWN, "purge_after": now}


def _expired(**kwargs):
    return {"status_reason_code": ReasonCode.EXPIRED, "status_reason": gettext("No answer before the deadline.")}


SENDER, RECEIVER, SYSTEM = Side.SENDER, Side.RECEIVER, Side.SYSTEM
TRANSITIONS = {
    t.name: t
    for t in (
        Transition(
            "send",
            _("Send referral"),
            SENDER,
            (Status.DRAFT,),
            Status.REQUESTED,
            EventKind.SENT,
            tells=(RECEIVER,),
            stamp="sent_at",
            check=lambda case: sending_errors(case),
            effects=_deadlines,
            manual=False,  # sent from the preview
            style="",
        ),
        Transition(
            "open",
            _("Mark as opened"),
            RECEIVER,
            (Status.REQUESTED,),
            Status.RECEIVED,
            EventKind.RECEIVED,
            tells=(SENDER,),
            stamp="received_at",
            manual=False,  # happens when the receiver first looks
        ),
        Transition(
            "accept",
            _("Accept"),
            RECEIVER,
            AWAITING_ANSWER,
            Status.ACCEPTED,
            EventKind.ACCEPTED,
            tells=(SENDER,),
            stamp="answered_at",
            done_message=_("You accepted referral %(reference)s. The referring organisation has been told."),
            style="",
        ),
        Transition(
            "decline",
            _("Decline"),
            RECEIVER,
            AWAITING_ANSWER,
            Status.REJECTED,
            EventKind.DECLINED,
            tells=(SENDER,),
            stamp="answered_at",
            reason_label=_("Why can you not take this referral?"),
            done_message=_("You declined referral %(reference)s. The referring organisation has been told why."),
            style="no",
        ),
        Transition(
            "start",
            _("Start support"),
            RECEIVER,
            (Status.ACCEPTED,),
            Status.IN_PROGRESS,
            EventKind.STARTED,
            tells=(SENDER,),
            done_message=_("Support has started on %(reference)s."),
        ),
        Transition(
            "request_information",
            _("Request information"),
            RECEIVER,
            (Status.ACCEPTED, Status.IN_PROGRESS),
            Status.ON_HOLD,
            EventKind.INFORMATION_REQUESTED,
            tells=(SENDER,),
            reason_label=_("What do you need to know?"),
            reason_field="",
            effects=_hold,
            done_message=_("Your request for information on %(reference)s has been sent."),
        ),
        Transition(
            "give_information",
            _("Answer the request"),
            SENDER,
            (Status.ON_HOLD,),
            None,
            EventKind.INFORMATION_GIVEN,
            tells=(RECEIVER,),
            reason_label=_("Your answer"),
            reason_field="",
            reason_in_conversation=True,
            effects=_resume,
            done_message=_("Your answer on %(reference)s has been sent."),
            style="",
        ),
        Transition(
            "record_contact",
            _("Record that the victim was contacted"),
            RECEIVER,
            (Status.ACCEPTED, Status.IN_PROGRESS),
            None,
            EventKind.VICTIM_CONTACTED,
            tells=(SENDER,),
            stamp="victim_contacted_at",
            guard=lambda case, now: CONTACT_CLOCK.runs_for(case),
            done_message=_("Recorded that the victim was contacted on %(reference)s."),
        ),
        Transition(
            "close",
            _("Close with outcome"),
            RECEIVER,
            (Status.ACCEPTED, Status.IN_PROGRESS),
            Status.COMPLETED,
            EventKind.COMPLETED,  # `_close` records FAILED when the victim could not be reached
            tells=(SENDER,),
            reason_label=_("Outcome notes (required when the victim could not be reached)"),
            reason_required_for=(Outcome.UNREACHABLE,),
            reason_field="",
            needs_outcome=True,
            effects=_close,
            done_message=_("Referral %(reference)s is closed."),
        ),
        Transition(
            "withdraw",
            _("Withdraw referral"),
            SENDER,
            OPEN_STATUSES,
            Status.CANCELLED,
            EventKind.WITHDRAWN,
            tells=(RECEIVER,),
            reason_label=_("Why are you withdrawing the referral?"),
            done_message=_("You withdrew referral %(reference)s. The receiving organisation has been told."),
            style="no",
        ),
        Transition(
            "withdraw_consent",
            _("Victim withdrew consent"),
            SENDER,
            (Status.DRAFT, *OPEN_STATUSES),
            Status.CANCELLED,
            EventKind.CONSENT_WITHDRAWN,
            tells=(RECEIVER,),
            effects=_consent_withdrawn,
            done_message=_(
                "Referral %(reference)s is closed: the victim withdrew consent. Its personal data will be purged."
            ),
            style="no",
            confirm=_(
                "The referral will be closed for both organisations and its personal data purged. "
                "This cannot be undone."
            ),
        ),
        Transition(
            "expire",
            _("Expire"),
            SYSTEM,
            AWAITING_ANSWER,
            Status.FAILED,
            EventKind.EXPIRED,
            tells=(SENDER, RECEIVER),
            guard=lambda case, now: case.is_expirable(now),
            effects=_expired,
            manual=False,  # the scheduler's (send_referral_reminders)
        ),
    )
}


def done_message(transition, case):
    return transition.done_message % {"reference": case.reference}


def available_transitions(case, side, now=None):
    """The transitions offered on the case page to a user on `side`, from the case as it is."""
    now = now or timezone.now()
    return [t for t in TRANSITIONS.values() if t.manual and t.side == side and t.applies(case, now)]


# What a referral needs before it is sent (sending_errors), marked as such on the form.
REQUIRED_TO_SEND = (
    "receiving_organisation",
    "consent_obtained_on",
    "consent_method",
    "consent_to_share",
    "name",
    "support_needed",
    "referral_reason",
)


def sending_errors(case):
    """What is missing before `case` may be sent, as {field: message}; empty when it is ready."""
    errors = {}
    receiver = case.receiving_organisation
    if receiver is None:
        errors["receiving_organisation"] = gettext("Choose the member organisation you refer the victim to.")
    elif receiver.pk == case.sending_organisation_id:
        errors["receiving_organisation"] = gettext("A referral must go to an organisation other than yours.")
    elif not receiver.accepts_referrals:
        errors["receiving_organisation"] = gettext("%(organisation)s does not accept referrals at the moment.") % {
            "organisation": receiver
        }
    if not case.consent_to_share:
        errors["consent_to_share"] = gettext(
            "A referral cannot be sent without the victim's consent to share this information."
        )
    if not case.consent_obtained_on:
        errors["consent_obtained_on"] = gettext("Give the date the consent was obtained.")
    elif case.consent_obtained_on > timezone.localdate():
        errors["consent_obtained_on"] = gettext("The consent date cannot be in the future.")
    if not case.consent_method:
        errors["consent_method"] = gettext("Say how the consent was obtained.")
    if (case.phone or case.email) and not case.consent_to_contact:
        errors["consent_to_contact"] = gettext(
            "The victim has not agreed to be contacted directly: remove the phone and e-mail, or record that consent."
        )
    if not case.name.strip():
        errors["name"] = gettext("Give the person's name or a case code.")
    if not case.referral_reason.strip():
        errors["referral_reason"] = gettext("Say why you refer the victim, so they need not tell their story again.")
    if not case.support_needed:
        errors["support_needed"] = gettext("Choose at least one kind of support requested.")
    errors.update(deadline_errors(case))
    return errors


def deadline_errors(case, now=None):
    now = now or timezone.now()
    errors = {}
    earliest = now + timedelta(hours=conf.get("MIN_RESPONSE_HOURS"))
    latest = now + timedelta(days=conf.get("MAX_RESPONSE_DAYS"))
    if case.respond_by and not earliest <= case.respond_by <= latest:
        hours, days = conf.get("MIN_RESPONSE_HOURS"), conf.get("MAX_RESPONSE_DAYS")
        errors["respond_by"] = ngettext(
            "Choose an answer date between %(hours)s hour and %(days)s days from now.",
            "Choose an answer date between %(hours)s hours and %(days)s days from now.",
            hours,
        ) % {"hours": hours, "days": days}
    if case.contact_by and case.contact_by <= (case.respond_by or earliest):
        errors["contact_by"] = gettext("The victim can only be contacted after the answer: choose a later date.")
    elif case.contact_by and case.contact_by > latest + timedelta(days=conf.get("MAX_RESPONSE_DAYS")):
        errors["contact_by"] = gettext("This date is too far away for a referral: choose an earlier one.")
    return errors


def default_deadlines(priority, start, respond_by=None):
    """(respond_by, contact_by) for a referral sent at `start`.

    The contact clock runs on from the answer deadline, so a later answer date chosen by the
    sender moves the default contact date with it.
    """
    respond_window = conf.priority_window(priority, "respond")
    respond_by = respond_by or start + respond_window
    return respond_by, respond_by + conf.priority_window(priority, "contact") - respond_window


def priority_advice(case):
    """Reasons to choose a higher priority than the one chosen (the form shows them)."""
    from .models import AgeBand, Priority

    if case.priority == Priority.STAT:
        return []
    advice = []
    if case.age_band == AgeBand.CHILD:
        advice.append(gettext("The victim is a child."))
    if case.has_risk_flags:
        advice.append(gettext("The assessment records a risk to the victim."))
    if case.leaves_country_on and case.leaves_country_on <= timezone.localdate() + timedelta(days=7):
        advice.append(gettext("The victim leaves the country within a week."))
    return advice


def perform(case, name, actor=None, *, reason="", outcome="", now=None):
    """Make transition `name` on `case` as `actor` (None for the system); return the updated case.

    `now` is the moment the transition happens (the current time unless a scheduler passes its own).
    """
    transition = TRANSITIONS[name]
    side = SYSTEM if actor is None else actor.side(case)
    if side != transition.side:
        raise TransitionNotAllowed(gettext("You cannot do this on this referral."))
    reason = (reason or "").strip()
    if transition.requires_reason(outcome) and not reason:
        raise ValidationError({"reason": gettext("Please give a reason.")})
    if transition.needs_outcome and outcome not in Outcome.values:
        raise ValidationError({"outcome": gettext("Choose the outcome.")})
    if transition.check and (errors := transition.check(case)):
        raise ValidationError(errors)

    now = now or timezone.now()
    user = actor.user if actor else None
    organisation = actor.organisation if actor else None
    with transaction.atomic():
        current = ReferralCase.objects.select_for_update().filter(pk=case.pk).only(*LOCKED_COLUMNS).first()
        if current is None or not transition.applies(current, now):
            raise TransitionConflict(_conflict_message(current))
        change = transition.change(case, current, now, reason, outcome)
        updated = ReferralCase.objects.filter(pk=case.pk, status=current.status).update(
            status=change.target, **change.columns
        )
        if updated != 1:
            raise TransitionConflict(_conflict_message(current))
        CaseEvent.objects.create(
            case=case,
            kind=change.event,
            actor=user,
            organisation=organisation,
            from_status=current.status,
            to_status=change.target,
            detail=reason,
            created_at=now,
        )
        audit.record(
            AuditAction.TRANSITION,
            actor=actor,
            on=case,
            data={"transition": name, "from": current.status, "to": change.target},
        )
        if transition.reason_in_conversation:
            CaseMessage.objects.create(case=case, author=user, organisation=organisation, body=sanitize_html(reason))
        if change.target in CLOSED_STATUSES:
            tally.record_closed(case)  # final from now on: the statistics keep its counts
        case.refresh_from_db()
        notifications.notify(case, _told(case, transition.tells), change.event)
    return case


# What the locked re-check of a transition reads: the status and what the guards look at.
LOCKED_COLUMNS = ("status", "status_before_hold", "victim_contacted_at", "respond_by")


def _told(case, sides):
    """The organisations on `sides` that are parties to the case (the receiver once it was sent)."""
    return [organisation for organisation in map(case.organisation_on, sides) if organisation is not None]


def _conflict_message(current):
    if current is None:
        return gettext("This referral no longer exists.")
    return gettext(
        "This referral changed while you were looking at it: it is now “%(status)s”. Nothing was changed; "
        "check the timeline below."
    ) % {"status": Status(current.status).label}


def open_if_receiver(case, actor):
    """Record the case as opened the first time a receiving contact point looks at it."""
    if case.status == Status.REQUESTED and actor.side(case) == RECEIVER:
        try:
            return perform(case, "open", actor)
        except TransitionConflict:
            case.refresh_from_db()
    return case


def record_view(case, actor):
    # No savepoint: the timeline's entry and the audit log's stand or fall together.
    with transaction.atomic(savepoint=False):
        CaseEvent.objects.create(case=case, kind=EventKind.VIEWED, actor=actor.user, organisation=actor.organisation)
        audit.record(AuditAction.CASE_VIEWED, actor=actor, on=case)


def _lock_unless_closed(case):
    """Lock the case row for the rest of the transaction; refuse if it has been closed or purged
    meanwhile (a purge must not miss a message or a file added while it ran)."""
    if (
        not ReferralCase.objects.select_for_update()
        .filter(pk=case.pk, purged_at__isnull=True)
        .exclude(status__in=CLOSED_STATUSES)
        .exists()
    ):
        raise TransitionNotAllowed(gettext("This referral is closed: its conversation has ended."))


def add_message(case, actor, body_html):
    body = sanitize_html(body_html).strip()
    if not has_text(body):
        raise ValidationError({"body": gettext("Write a message before sending it.")})
    side = actor.side(case)
    if side is None:
        raise TransitionNotAllowed(gettext("You cannot do this on this referral."))
    if case.status == Status.DRAFT or case.purged_at:
        raise TransitionNotAllowed(gettext("Messages can be sent once the referral has been sent."))
    if not case.is_open:
        raise TransitionNotAllowed(gettext("This referral is closed: its conversation has ended."))
    with transaction.atomic():
        _lock_unless_closed(case)
        message = CaseMessage.objects.create(case=case, author=actor.user, organisation=actor.organisation, body=body)
        CaseEvent.objects.create(case=case, kind=EventKind.MESSAGE, actor=actor.user, organisation=actor.organisation)
        audit.record(AuditAction.MESSAGE_SENT, actor=actor, on=case, data={"message": str(message.pk)})
        notifications.notify(case, _told(case, [_other(side)]), EventKind.MESSAGE)
    return message


def add_attachments(case, actor, checked):
    """Store the files of one upload, [(upload, content_type)], all or none: the case's total is
    checked again under the row lock, so two uploads at once cannot both pass the limit."""
    with transaction.atomic():
        _lock_unless_closed(case)
        attachments.check_case_total(attachments.stored_bytes(case), sum(upload.size for upload, _type in checked))
        return [add_attachment(case, actor, upload, content_type) for upload, content_type in checked]


def add_attachment(case, actor, upload, content_type):
    side = actor.side(case)
    if side is None:
        raise TransitionNotAllowed(gettext("You cannot do this on this referral."))
    with transaction.atomic():
        _lock_unless_closed(case)
        attachment = CaseAttachment(
            case=case,
            uploaded_by=actor.user,
            organisation=actor.organisation,
            original_name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
        )
        attachment.file.save("upload", upload, save=False)
        attachment.save()
        CaseEvent.objects.create(
            case=case, kind=EventKind.ATTACHMENT, actor=actor.user, organisation=actor.organisation
        )
        audit.record(AuditAction.ATTACHMENT_ADDED, actor=actor, on=case, data={"attachment": str(attachment.pk)})
        notifications.notify(case, _told(case, [_other(side)]), EventKind.ATTACHMENT)
    return attachment


def _other(side):
    return RECEIVER if side == SENDER else SENDER


def record_download(attachment, actor):
    with transaction.atomic(savepoint=False):
        CaseEvent.objects.create(
            case=attachment.case, kind=EventKind.DOWNLOADED, actor=actor.user, organisation=actor.organisation
        )
        audit.record(
            AuditAction.ATTACHMENT_DOWNLOADED, actor=actor, on=attachment.case, data={"attachment": str(attachment.pk)}
        )
