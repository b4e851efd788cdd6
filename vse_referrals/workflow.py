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

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import conf, notifications
from .models import (
    AWAITING_ANSWER,
    CLOSED_STATUSES,
    OPEN_STATUSES,
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    EventKind,
    Outcome,
    ReasonCode,
    ReferralCase,
    Status,
)
from .permissions import RECEIVER, SENDER, organisation_for_user, side_for, side_of
from .sanitize import has_text, sanitize_html

SYSTEM = "system"


class WorkflowError(Exception):
    """A transition that cannot happen; `str()` is a message for the person who tried."""


class TransitionNotAllowed(WorkflowError):
    pass


class TransitionConflict(WorkflowError):
    pass


@dataclass(frozen=True)
class Transition:
    name: str
    label: str
    side: str
    sources: tuple
    target: str | None
    event: str
    reason_label: str = ""
    needs_outcome: bool = False
    style: str = "button-secondary"
    confirm: str = ""  # a question asked before an irreversible transition without a reason

    @property
    def asks_first(self):
        return bool(self.reason_label or self.needs_outcome or self.confirm)

    @property
    def requires_reason(self):
        return bool(self.reason_label)


TRANSITIONS = {
    t.name: t
    for t in (
        Transition("send", _("Send referral"), SENDER, (Status.DRAFT,), Status.REQUESTED, EventKind.SENT, style=""),
        Transition("open", _("Mark as opened"), RECEIVER, (Status.REQUESTED,), Status.RECEIVED, EventKind.RECEIVED),
        Transition("accept", _("Accept"), RECEIVER, AWAITING_ANSWER, Status.ACCEPTED, EventKind.ACCEPTED, style=""),
        Transition(
            "decline",
            _("Decline"),
            RECEIVER,
            AWAITING_ANSWER,
            Status.REJECTED,
            EventKind.DECLINED,
            reason_label=_("Why can you not take this referral?"),
            style="no",
        ),
        Transition("start", _("Start support"), RECEIVER, (Status.ACCEPTED,), Status.IN_PROGRESS, EventKind.STARTED),
        Transition(
            "request_information",
            _("Request information"),
            RECEIVER,
            (Status.ACCEPTED, Status.IN_PROGRESS),
            Status.ON_HOLD,
            EventKind.INFORMATION_REQUESTED,
            reason_label=_("What do you need to know?"),
        ),
        Transition(
            "give_information",
            _("Answer the request"),
            SENDER,
            (Status.ON_HOLD,),
            None,  # back to the status before the request
            EventKind.INFORMATION_GIVEN,
            reason_label=_("Your answer"),
            style="",
        ),
        Transition(
            "record_contact",
            _("Record that the victim was contacted"),
            RECEIVER,
            (Status.ACCEPTED, Status.IN_PROGRESS),
            None,  # the status does not change
            EventKind.VICTIM_CONTACTED,
        ),
        Transition(
            "close",
            _("Close with outcome"),
            RECEIVER,
            (Status.ACCEPTED, Status.IN_PROGRESS),
            Status.COMPLETED,  # or FAILED when the victim could not be reached
            EventKind.COMPLETED,
            reason_label=_("Outcome notes (required when the victim could not be reached)"),
            needs_outcome=True,
        ),
        Transition(
            "withdraw",
            _("Withdraw referral"),
            SENDER,
            OPEN_STATUSES,
            Status.CANCELLED,
            EventKind.WITHDRAWN,
            reason_label=_("Why are you withdrawing the referral?"),
            style="no",
        ),
        Transition(
            "withdraw_consent",
            _("Victim withdrew consent"),
            SENDER,
            (Status.DRAFT, *OPEN_STATUSES),
            Status.CANCELLED,
            EventKind.CONSENT_WITHDRAWN,
            style="no",
            confirm=_(
                "The referral will be closed for both organisations and its personal data purged. "
                "This cannot be undone."
            ),
        ),
        Transition("expire", _("Expire"), SYSTEM, AWAITING_ANSWER, Status.FAILED, EventKind.EXPIRED),
    )
}

# What the person who made a transition is told it did.
DONE_MESSAGES = {
    "accept": _("You accepted referral %(reference)s. The referring organisation has been told."),
    "decline": _("You declined referral %(reference)s. The referring organisation has been told why."),
    "start": _("Support has started on %(reference)s."),
    "request_information": _("Your request for information on %(reference)s has been sent."),
    "give_information": _("Your answer on %(reference)s has been sent."),
    "record_contact": _("Recorded that the victim was contacted on %(reference)s."),
    "close": _("Referral %(reference)s is closed."),
    "withdraw": _("You withdrew referral %(reference)s. The receiving organisation has been told."),
    "withdraw_consent": _(
        "Referral %(reference)s is closed: the victim withdrew consent. Its personal data will be purged."
    ),
}


def done_message(name, case):
    return DONE_MESSAGES[name] % {"reference": case.reference}


# Transitions offered as buttons on the case page ("open" happens when the receiver first looks).
MANUAL = (
    "accept",
    "decline",
    "start",
    "request_information",
    "give_information",
    "record_contact",
    "close",
    "withdraw",
    "withdraw_consent",
)


def available_transitions(case, side):
    """The transitions a user on `side` may start from the case's current status."""
    return [
        TRANSITIONS[name]
        for name in MANUAL
        if TRANSITIONS[name].side == side
        and case.status in TRANSITIONS[name].sources
        and _applies(name, case.victim_contacted_at, case.respond_by)
    ]


def _applies(name, victim_contacted_at, respond_by, now=None):
    """Conditions beyond the source status."""
    if name == "record_contact":
        return victim_contacted_at is None
    if name == "expire":
        grace = timedelta(hours=conf.get("EXPIRY_GRACE_HOURS"))
        return respond_by is not None and respond_by + grace <= (now or timezone.now())
    return True


def reason_required(transition, outcome=""):
    if transition.name == "close":
        return outcome == Outcome.UNREACHABLE
    return transition.requires_reason


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


def perform(case, name, user=None, *, reason="", outcome="", now=None):
    """Make transition `name` on `case` as `user` (None for the system); return the updated case.

    `now` is the moment the transition happens (the current time unless a scheduler passes its own).
    """
    transition = TRANSITIONS[name]
    organisation = organisation_for_user(user) if user is not None else None
    side = SYSTEM if user is None else side_for(organisation, case)
    if side != transition.side:
        raise TransitionNotAllowed(gettext("You cannot do this on this referral."))
    reason = (reason or "").strip()
    if reason_required(transition, outcome) and not reason:
        raise ValidationError({"reason": gettext("Please give a reason.")})
    if transition.needs_outcome and outcome not in Outcome.values:
        raise ValidationError({"outcome": gettext("Choose the outcome.")})
    if name == "send" and (errors := sending_errors(case)):
        raise ValidationError(errors)

    now = now or timezone.now()
    with transaction.atomic():
        current = (
            ReferralCase.objects.select_for_update()
            .filter(pk=case.pk)
            .values("status", "status_before_hold", "victim_contacted_at", "respond_by")
            .first()
        )
        if (
            current is None
            or current["status"] not in transition.sources
            or not _applies(name, current["victim_contacted_at"], current["respond_by"], now)
        ):
            raise TransitionConflict(_conflict_message(current))
        target, changes = _effects(transition, case, current, now, reason, outcome)
        updated = ReferralCase.objects.filter(pk=case.pk, status=current["status"]).update(
            status=target, updated_at=now, **changes
        )
        if updated != 1:
            raise TransitionConflict(_conflict_message(current))
        CaseEvent.objects.create(
            case=case,
            kind=EventKind.FAILED if (name == "close" and target == Status.FAILED) else transition.event,
            actor=user,
            organisation=organisation,
            from_status=current["status"],
            to_status=target,
            detail=reason,
            created_at=now,
        )
        if name == "give_information":
            CaseMessage.objects.create(case=case, author=user, organisation=organisation, body=sanitize_html(reason))
        notifications.notify_transition(case, transition, target, now)
    case.refresh_from_db()
    return case


def _conflict_message(current):
    if current is None:
        return gettext("This referral no longer exists.")
    return gettext(
        "This referral changed while you were looking at it: it is now “%(status)s”. Nothing was changed; "
        "check the timeline below."
    ) % {"status": Status(current["status"]).label}


def _effects(transition, case, current, now, reason, outcome):
    """The new status and the columns to set for `transition`."""
    name = transition.name
    target = transition.target
    changes = {}
    if transition.requires_reason and name not in ("give_information", "request_information", "close"):
        changes["status_reason"] = reason
    if name == "send":
        respond_by, contact_by = default_deadlines(case.priority, now, case.respond_by)
        changes.update(sent_at=now, respond_by=respond_by, contact_by=case.contact_by or contact_by)
    elif name == "open":
        changes["received_at"] = now
    elif name in ("accept", "decline"):
        changes["answered_at"] = now
    elif name == "request_information":
        changes.update(status_before_hold=current["status"], status_reason=reason)
    elif name == "give_information":
        target = current["status_before_hold"] or Status.ACCEPTED
        # The question is answered: it stays on the timeline and the answer in the conversation.
        changes.update(status_before_hold="", status_reason="")
    elif name == "record_contact":
        target = current["status"]
        changes["victim_contacted_at"] = now
    elif name == "close":
        target = Status.FAILED if outcome == Outcome.UNREACHABLE else Status.COMPLETED
        changes.update(outcome=outcome, outcome_notes=reason)
        if target == Status.FAILED:
            # The notes stay in the outcome, which the sender sees only with the victim's consent.
            changes["status_reason_code"] = ReasonCode.VICTIM_UNREACHABLE
    elif name == "withdraw_consent":
        changes.update(status_reason_code=ReasonCode.CONSENT_WITHDRAWN, purge_after=now)
    elif name == "expire":
        changes.update(status_reason_code=ReasonCode.EXPIRED, status_reason=gettext("No answer before the deadline."))
    if target in (Status.REJECTED, Status.CANCELLED, Status.COMPLETED, Status.FAILED):
        changes["closed_at"] = now
        if "purge_after" not in changes:
            changes["purge_after"] = now + timedelta(days=conf.get("RETENTION_DAYS"))
    return target, changes


def open_if_receiver(case, user):
    """Record the case as opened the first time a receiving contact point looks at it."""
    if case.status == Status.REQUESTED and side_of(user, case) == RECEIVER:
        try:
            return perform(case, "open", user)
        except TransitionConflict:
            case.refresh_from_db()
    return case


def record_view(case, user):
    CaseEvent.objects.create(case=case, kind=EventKind.VIEWED, actor=user, organisation=organisation_for_user(user))


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


def add_message(case, user, body_html):
    body = sanitize_html(body_html).strip()
    if not has_text(body):
        raise ValidationError({"body": gettext("Write a message before sending it.")})
    organisation = organisation_for_user(user)
    side = side_for(organisation, case)
    if side is None:
        raise TransitionNotAllowed(gettext("You cannot do this on this referral."))
    if case.status == Status.DRAFT or case.purged_at:
        raise TransitionNotAllowed(gettext("Messages can be sent once the referral has been sent."))
    if not case.is_open:
        raise TransitionNotAllowed(gettext("This referral is closed: its conversation has ended."))
    with transaction.atomic():
        _lock_unless_closed(case)
        message = CaseMessage.objects.create(case=case, author=user, organisation=organisation, body=body)
        CaseEvent.objects.create(case=case, kind=EventKind.MESSAGE, actor=user, organisation=organisation)
        notifications.notify_activity(case, side, "message")
    return message


def add_attachment(case, user, upload, content_type):
    organisation = organisation_for_user(user)
    side = side_for(organisation, case)
    if side is None:
        raise TransitionNotAllowed(gettext("You cannot do this on this referral."))
    with transaction.atomic():
        _lock_unless_closed(case)
        attachment = CaseAttachment(
            case=case,
            uploaded_by=user,
            organisation=organisation,
            original_name=upload.name[:255],
            content_type=content_type,
            size=upload.size,
        )
        attachment.file.save("upload", upload, save=False)
        attachment.save()
        CaseEvent.objects.create(case=case, kind=EventKind.ATTACHMENT, actor=user, organisation=organisation)
        if case.status != Status.DRAFT:
            notifications.notify_activity(case, side, "attachment")
    return attachment


def record_download(attachment, user):
    CaseEvent.objects.create(
        case=attachment.case, kind=EventKind.DOWNLOADED, actor=user, organisation=organisation_for_user(user)
    )
