"""The referral state machine (vse_referrals.workflow): who may do what, from where, and what it records."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from vse_referrals import conf, permissions, workflow
from vse_referrals.models import (
    CaseEvent,
    CaseMessage,
    ContactPoint,
    EventKind,
    Outcome,
    ReasonCode,
    ReferralCase,
    Side,
    Status,
)
from vse_referrals.workflow import TRANSITIONS, TransitionConflict, TransitionNotAllowed

from . import builders
from .concurrency import races_threads

pytestmark = pytest.mark.django_db

REASON = "Typed by a contact point"

# How a case reaches each status through the workflow itself: (transition, outcome) steps after creation.
PATHS = {
    Status.DRAFT: [],
    Status.REQUESTED: ["send"],
    Status.RECEIVED: ["send", "open"],
    Status.ACCEPTED: ["send", "accept"],
    Status.IN_PROGRESS: ["send", "accept", "start"],
    Status.ON_HOLD: ["send", "accept", "request_information"],
    Status.REJECTED: ["send", "decline"],
    Status.CANCELLED: ["send", "withdraw"],
    Status.COMPLETED: ["send", "accept", "close"],
    Status.FAILED: ["send", "accept", ("close", Outcome.UNREACHABLE)],
}


def arguments(name, outcome=Outcome.SUPPORTED):
    """Valid reason and outcome for transition `name`."""
    kwargs = {}
    if TRANSITIONS[name].requires_reason:
        kwargs["reason"] = REASON
    if TRANSITIONS[name].needs_outcome:
        kwargs["outcome"] = outcome
    return kwargs


def actor(name, sender, receiver):
    return {Side.SENDER: sender, Side.RECEIVER: receiver, Side.SYSTEM: None}[TRANSITIONS[name].side]


def make_expirable(case):
    """Move the answer deadline far enough into the past for `expire` to apply."""
    grace = timedelta(hours=conf.get("EXPIRY_GRACE_HOURS"))
    ReferralCase.objects.filter(pk=case.pk).update(respond_by=timezone.now() - grace - timedelta(minutes=5))
    case.refresh_from_db()
    return case


def case_in(status, sender, receiver, **fields):
    """A case from `sender`'s organisation to `receiver`'s, brought to `status` through the workflow."""
    case = builders.make_case(
        permissions.actor_for_user(sender).organisation,
        permissions.actor_for_user(receiver).organisation,
        created_by=sender,
        **fields,
    )
    for step in PATHS[status]:
        name, outcome = step if isinstance(step, tuple) else (step, Outcome.SUPPORTED)
        case = workflow.perform(case, name, builders.acting(actor(name, sender, receiver)), **arguments(name, outcome))
    assert case.status == status
    return case


def expected_target(name, source, outcome=Outcome.SUPPORTED):
    if name == "give_information":
        return Status.ACCEPTED  # PATHS puts on-hold cases on hold from "accepted"
    if name == "record_contact":
        return source
    if name == "close" and outcome == Outcome.UNREACHABLE:
        return Status.FAILED
    return TRANSITIONS[name].target


def last_event(case):
    return CaseEvent.objects.filter(case=case).order_by("created_at", "pk").last()


def assert_unchanged(case, status, events):
    case.refresh_from_db()
    assert case.status == status
    assert CaseEvent.objects.filter(case=case).count() == events


class Clock:
    """`with clock:` brackets an action in time; `clock.check(value)` asserts value falls within it."""

    def __enter__(self):
        self.start = timezone.now()
        return self

    def __exit__(self, *exc):
        self.end = timezone.now()

    def check(self, value):
        assert value is not None
        assert self.start <= value <= self.end


@pytest.fixture
def clock():
    return Clock()


ALLOWED = [(name, source) for name, transition in TRANSITIONS.items() for source in transition.sources]


def _wrong_states():
    for name, transition in TRANSITIONS.items():
        for status in Status.values:
            # A receiver is no party to a draft at all: that is TransitionNotAllowed, tested below.
            if status not in transition.sources and not (transition.side == Side.RECEIVER and status == Status.DRAFT):
                yield name, status


WRONG_STATE = list(_wrong_states())


def ids(pairs):
    return [f"{name}-from-{status}" for name, status in pairs]


# Allowed: every transition from each of its source states, by its side -------------------------


@pytest.mark.parametrize(("name", "source"), ALLOWED, ids=ids(ALLOWED))
def test_transition_is_allowed_from_each_source(name, source, sender, receiver):
    case = case_in(source, sender, receiver)
    if name == "expire":
        make_expirable(case)
    events_before = CaseEvent.objects.filter(case=case).count()
    user = actor(name, sender, receiver)

    case = workflow.perform(case, name, builders.acting(user), **arguments(name))

    target = expected_target(name, source)
    assert case.status == target
    assert ReferralCase.objects.get(pk=case.pk).status == target
    assert CaseEvent.objects.filter(case=case).count() == events_before + 1
    event = last_event(case)
    assert (event.kind, event.from_status, event.to_status) == (TRANSITIONS[name].event, source, target)
    assert event.actor == user
    assert event.organisation == (permissions.actor_for_user(user).organisation if user else None)


def test_close_with_unreachable_victim_fails_the_case_with_a_failed_event(sender, receiver):
    case = case_in(Status.IN_PROGRESS, sender, receiver)
    case = workflow.perform(
        case, "close", builders.acting(receiver), outcome=Outcome.UNREACHABLE, reason="Five calls, no answer"
    )
    assert case.status == Status.FAILED
    assert case.status_reason_code == ReasonCode.VICTIM_UNREACHABLE
    assert case.outcome == Outcome.UNREACHABLE
    assert case.outcome_notes == "Five calls, no answer"
    event = last_event(case)
    assert (event.kind, event.from_status, event.to_status) == (EventKind.FAILED, Status.IN_PROGRESS, Status.FAILED)


# Denied: wrong state, wrong side, no party -----------------------------------------------------


@pytest.mark.parametrize(("name", "status"), WRONG_STATE, ids=ids(WRONG_STATE))
def test_transition_from_a_wrong_state_is_a_conflict(name, status, sender, receiver):
    case = case_in(status, sender, receiver)
    if name == "expire":
        make_expirable(case)  # so that only the status stands in the way
    events = CaseEvent.objects.filter(case=case).count()

    with pytest.raises(TransitionConflict) as conflict:
        workflow.perform(case, name, builders.acting(actor(name, sender, receiver)), **arguments(name))

    assert str(Status(status).label) in str(conflict.value)
    assert_unchanged(case, status, events)


def test_expire_before_the_grace_period_has_passed_is_a_conflict(sender, receiver):
    case = case_in(Status.REQUESTED, sender, receiver)
    grace = timedelta(hours=conf.get("EXPIRY_GRACE_HOURS"))
    ReferralCase.objects.filter(pk=case.pk).update(respond_by=timezone.now() - grace + timedelta(minutes=5))
    case.refresh_from_db()
    with pytest.raises(TransitionConflict):
        workflow.perform(case, "expire")
    assert_unchanged(case, Status.REQUESTED, 1)


def test_victim_contact_is_recorded_once(sender, receiver):
    case = case_in(Status.ACCEPTED, sender, receiver)
    case = workflow.perform(case, "record_contact", builders.acting(receiver))
    contacted_at = case.victim_contacted_at
    with pytest.raises(TransitionConflict):
        workflow.perform(case, "record_contact", builders.acting(receiver))
    case.refresh_from_db()
    assert case.victim_contacted_at == contacted_at
    assert CaseEvent.objects.filter(case=case, kind=EventKind.VICTIM_CONTACTED).count() == 1


WRONG_SIDE = [(name, source) for name, source in ALLOWED if TRANSITIONS[name].side != Side.SYSTEM]


@pytest.mark.parametrize(("name", "source"), WRONG_SIDE, ids=ids(WRONG_SIDE))
def test_transition_by_the_other_side_is_not_allowed(name, source, sender, receiver):
    case = case_in(source, sender, receiver)
    other = receiver if TRANSITIONS[name].side == Side.SENDER else sender
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(TransitionNotAllowed):
        workflow.perform(case, name, builders.acting(other), **arguments(name))
    assert_unchanged(case, source, events)


@pytest.mark.parametrize(("name", "source"), WRONG_SIDE, ids=ids(WRONG_SIDE))
def test_the_system_cannot_make_a_contact_point_transition(name, source, sender, receiver):
    case = case_in(source, sender, receiver)
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(TransitionNotAllowed):
        workflow.perform(case, name, None, **arguments(name))
    assert_unchanged(case, source, events)


@pytest.mark.parametrize("source", [Status.REQUESTED, Status.RECEIVED])
def test_no_contact_point_can_expire_a_case(source, sender, receiver):
    case = make_expirable(case_in(source, sender, receiver))
    for user in (sender, receiver):
        with pytest.raises(TransitionNotAllowed):
            workflow.perform(case, "expire", builders.acting(user))
    assert_unchanged(case, source, len(PATHS[source]))


NON_PARTIES = [
    "no organisation",
    "ended contact point of B",
    "scheduled contact point of B",
    "superuser",
    "staff",
    "global model permissions",
    "group member without designation",
    "deactivated contact point of C",
]
ONE_SOURCE_EACH = [
    (name, TRANSITIONS[name].sources[0]) for name in TRANSITIONS if TRANSITIONS[name].side != Side.SYSTEM
]


@pytest.mark.parametrize("role", NON_PARTIES)
@pytest.mark.parametrize(("name", "source"), ONE_SOURCE_EACH, ids=ids(ONE_SOURCE_EACH))
def test_non_parties_cannot_make_any_transition(roles, role, name, source):
    case = case_in(source, roles["contact point of A"], roles["contact point of B"])
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(TransitionNotAllowed):
        workflow.perform(case, name, builders.acting(roles[role]), **arguments(name))
    assert_unchanged(case, source, events)


def test_contact_point_of_a_third_organisation_cannot_act(sender, receiver):
    outsider = builders.make_contact_point(builders.make_organisation("Organisation C", country="DE"))
    case = case_in(Status.REQUESTED, sender, receiver)
    for name in ("accept", "decline", "withdraw", "withdraw_consent"):
        with pytest.raises(TransitionNotAllowed):
            workflow.perform(case, name, builders.acting(outsider), **arguments(name))
    assert_unchanged(case, Status.REQUESTED, 1)


def test_a_former_contact_point_of_the_sender_cannot_act(org_a, sender, receiver):
    former = builders.make_contact_point(
        org_a, ContactPoint.Role.DEPUTY, started_ago=timedelta(days=200), ends_in=-timedelta(days=31)
    )
    case = case_in(Status.ON_HOLD, sender, receiver)
    for name in ("give_information", "withdraw", "withdraw_consent"):
        with pytest.raises(TransitionNotAllowed):
            workflow.perform(case, name, builders.acting(former), **arguments(name))
    assert_unchanged(case, Status.ON_HOLD, 3)


def test_ending_a_designation_takes_the_transition_away_at_once(sender, receiver):
    case = case_in(Status.REQUESTED, sender, receiver)
    ContactPoint.objects.filter(user=receiver).update(active_until=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TransitionNotAllowed):
        workflow.perform(case, "accept", builders.acting(receiver))
    assert_unchanged(case, Status.REQUESTED, 1)


# Drafts belong to the sender alone --------------------------------------------------------------


@pytest.mark.parametrize("name", [name for name, t in TRANSITIONS.items() if t.side == Side.RECEIVER])
def test_receiver_cannot_act_on_a_draft(name, sender, receiver):
    case = case_in(Status.DRAFT, sender, receiver)
    with pytest.raises(TransitionNotAllowed):
        workflow.perform(case, name, builders.acting(receiver), **arguments(name))
    assert_unchanged(case, Status.DRAFT, 0)


def test_receiver_cannot_see_a_draft_but_can_see_it_once_sent(sender, receiver):
    case = case_in(Status.DRAFT, sender, receiver)
    assert not permissions.cases_for_user(receiver).filter(pk=case.pk).exists()
    assert permissions.actor_for_user(receiver).side(case) is None
    assert workflow.available_transitions(case, Side.RECEIVER) == []
    assert permissions.cases_for_user(sender).filter(pk=case.pk).exists()

    workflow.perform(case, "send", builders.acting(sender))

    assert permissions.cases_for_user(receiver).filter(pk=case.pk).exists()
    assert permissions.actor_for_user(receiver).side(case) == Side.RECEIVER


def test_a_draft_closed_on_withdrawn_consent_stays_the_senders(sender, receiver, client):
    # It was never sent: closing it must not show the victim's data to the intended receiver.
    case = case_in(Status.DRAFT, sender, receiver)
    case = workflow.perform(case, "withdraw_consent", builders.acting(sender))
    assert case.status == Status.CANCELLED
    assert not permissions.cases_for_user(receiver).filter(pk=case.pk).exists()
    assert permissions.actor_for_user(receiver).side(case) is None
    client.force_login(receiver)
    assert client.get(reverse("vse_referrals:case", args=[case.pk])).status_code == 404
    assert permissions.actor_for_user(sender).side(case) == Side.SENDER


def test_nobody_can_write_messages_on_a_draft(sender, receiver):
    case = case_in(Status.DRAFT, sender, receiver)
    for user in (sender, receiver):
        with pytest.raises(TransitionNotAllowed):
            workflow.add_message(case, builders.acting(user), "<p>Hello</p>")
    assert not CaseMessage.objects.filter(case=case).exists()
    case = workflow.perform(case, "send", builders.acting(sender))
    workflow.add_message(case, builders.acting(receiver), "<p>Hello</p>")
    assert CaseMessage.objects.filter(case=case).count() == 1


# Reasons and outcomes ---------------------------------------------------------------------------

NEEDS_REASON = [
    (name, TRANSITIONS[name].sources[0]) for name in ("decline", "request_information", "give_information", "withdraw")
]


@pytest.mark.parametrize("blank", ["", "   \n "])
@pytest.mark.parametrize(("name", "source"), NEEDS_REASON, ids=ids(NEEDS_REASON))
def test_a_reason_is_required(name, source, blank, sender, receiver):
    case = case_in(source, sender, receiver)
    events = CaseEvent.objects.filter(case=case).count()
    with pytest.raises(ValidationError) as error:
        workflow.perform(case, name, builders.acting(actor(name, sender, receiver)), reason=blank)
    assert error.value.message_dict == {"reason": ["Please give a reason."]}
    assert_unchanged(case, source, events)


@pytest.mark.parametrize("name", ["accept", "open", "withdraw_consent"])
def test_no_reason_is_needed_for_other_transitions(name, sender, receiver):
    case = case_in(Status.REQUESTED, sender, receiver)
    case = workflow.perform(case, name, builders.acting(actor(name, sender, receiver)))
    assert case.status == TRANSITIONS[name].target


@pytest.mark.parametrize("outcome", ["", "bogus"])
def test_close_requires_an_outcome(outcome, sender, receiver):
    case = case_in(Status.IN_PROGRESS, sender, receiver)
    with pytest.raises(ValidationError) as error:
        workflow.perform(case, "close", builders.acting(receiver), outcome=outcome, reason=REASON)
    assert error.value.message_dict == {"outcome": ["Choose the outcome."]}
    assert_unchanged(case, Status.IN_PROGRESS, 3)


def test_close_as_unreachable_requires_notes(sender, receiver):
    case = case_in(Status.ACCEPTED, sender, receiver)
    with pytest.raises(ValidationError) as error:
        workflow.perform(case, "close", builders.acting(receiver), outcome=Outcome.UNREACHABLE, reason=" ")
    assert error.value.message_dict == {"reason": ["Please give a reason."]}
    assert_unchanged(case, Status.ACCEPTED, 2)


@pytest.mark.parametrize("outcome", [Outcome.SUPPORTED, Outcome.SUPPORT_DECLINED, Outcome.REFERRED_ON])
def test_close_with_another_outcome_needs_no_notes(outcome, sender, receiver):
    case = case_in(Status.ACCEPTED, sender, receiver)
    case = workflow.perform(case, "close", builders.acting(receiver), outcome=outcome)
    assert (case.status, case.outcome, case.outcome_notes) == (Status.COMPLETED, outcome, "")


# What each transition records -------------------------------------------------------------------


def test_send_records_sent_at(sender, receiver, clock):
    case = case_in(Status.DRAFT, sender, receiver)
    assert case.sent_at is None
    with clock:
        case = workflow.perform(case, "send", builders.acting(sender))
    clock.check(case.sent_at)
    assert (case.received_at, case.answered_at, case.closed_at, case.purge_after) == (None, None, None, None)


def test_open_records_received_at(sender, receiver, clock):
    case = case_in(Status.REQUESTED, sender, receiver)
    assert case.received_at is None
    with clock:
        case = workflow.perform(case, "open", builders.acting(receiver))
    clock.check(case.received_at)


@pytest.mark.parametrize("source", [Status.REQUESTED, Status.RECEIVED])
def test_accept_records_answered_at(source, sender, receiver, clock):
    case = case_in(source, sender, receiver)
    with clock:
        case = workflow.perform(case, "accept", builders.acting(receiver))
    clock.check(case.answered_at)
    assert case.closed_at is None and case.purge_after is None


def test_decline_records_answer_reason_and_closing(settings, sender, receiver, clock):
    settings.VSE_REFERRALS_RETENTION_DAYS = 30
    case = case_in(Status.RECEIVED, sender, receiver)
    with clock:
        case = workflow.perform(case, "decline", builders.acting(receiver), reason="No capacity this month")
    clock.check(case.answered_at)
    assert case.closed_at == case.answered_at
    assert case.purge_after == case.closed_at + timedelta(days=30)
    assert case.status_reason == "No capacity this month"
    assert case.status_reason_code == ""
    assert last_event(case).detail == "No capacity this month"


@pytest.mark.parametrize("source", [Status.ACCEPTED, Status.IN_PROGRESS])
def test_information_request_round_trip_returns_to_the_status_before(source, sender, receiver):
    case = case_in(source, sender, receiver)

    case = workflow.perform(case, "request_information", builders.acting(receiver), reason="Which language?")
    assert (case.status, case.status_before_hold, case.status_reason) == (Status.ON_HOLD, source, "Which language?")
    assert workflow.available_transitions(case, Side.RECEIVER) == []

    case = workflow.perform(case, "give_information", builders.acting(sender), reason="<p>Polish</p>")
    assert (case.status, case.status_before_hold) == (source, "")
    events = list(CaseEvent.objects.filter(case=case).order_by("created_at", "pk"))[-2:]
    assert [(e.kind, e.from_status, e.to_status) for e in events] == [
        (EventKind.INFORMATION_REQUESTED, source, Status.ON_HOLD),
        (EventKind.INFORMATION_GIVEN, Status.ON_HOLD, source),
    ]
    # The answer joins the conversation, from the sender's organisation.
    message = CaseMessage.objects.get(case=case)
    assert (message.body, message.author, message.organisation) == ("<p>Polish</p>", sender, case.sending_organisation)


@pytest.mark.parametrize("source", [Status.ACCEPTED, Status.IN_PROGRESS])
def test_record_contact_sets_victim_contacted_at_without_changing_status(source, sender, receiver, clock):
    case = case_in(source, sender, receiver)
    with clock:
        case = workflow.perform(case, "record_contact", builders.acting(receiver))
    clock.check(case.victim_contacted_at)
    assert case.status == source
    assert "record_contact" not in [t.name for t in workflow.available_transitions(case, Side.RECEIVER)]


def test_close_records_outcome_and_closing(sender, receiver, clock):
    case = case_in(Status.IN_PROGRESS, sender, receiver)
    with clock:
        case = workflow.perform(
            case, "close", builders.acting(receiver), outcome=Outcome.REFERRED_ON, reason="To a local shelter"
        )
    clock.check(case.closed_at)
    assert (case.status, case.outcome, case.outcome_notes) == (
        Status.COMPLETED,
        Outcome.REFERRED_ON,
        "To a local shelter",
    )
    assert case.purge_after == case.closed_at + timedelta(days=conf.get("RETENTION_DAYS"))
    assert case.status_reason_code == ""


@pytest.mark.parametrize("source", [Status.REQUESTED, Status.ACCEPTED, Status.ON_HOLD])
def test_withdraw_records_reason_and_closing(source, sender, receiver, clock):
    case = case_in(source, sender, receiver)
    with clock:
        case = workflow.perform(case, "withdraw", builders.acting(sender), reason="Victim found help at home")
    clock.check(case.closed_at)
    assert (case.status, case.status_reason, case.status_reason_code) == (
        Status.CANCELLED,
        "Victim found help at home",
        "",
    )
    assert case.purge_after == case.closed_at + timedelta(days=conf.get("RETENTION_DAYS"))


@pytest.mark.parametrize("source", [Status.DRAFT, Status.REQUESTED, Status.IN_PROGRESS])
def test_withdrawn_consent_closes_and_schedules_purge_now(source, sender, receiver, clock):
    case = case_in(source, sender, receiver)
    with clock:
        case = workflow.perform(case, "withdraw_consent", builders.acting(sender))
    clock.check(case.closed_at)
    assert case.status == Status.CANCELLED
    assert case.status_reason_code == ReasonCode.CONSENT_WITHDRAWN
    assert case.purge_after == case.closed_at


@pytest.mark.parametrize("source", [Status.REQUESTED, Status.RECEIVED])
def test_expire_fails_the_case_with_reason_code_expired(source, sender, receiver, clock):
    case = make_expirable(case_in(source, sender, receiver))
    with clock:
        case = workflow.perform(case, "expire")
    clock.check(case.closed_at)
    assert (case.status, case.status_reason_code) == (Status.FAILED, ReasonCode.EXPIRED)
    assert case.status_reason  # a reason is required for "failed"
    event = last_event(case)
    assert (event.kind, event.actor, event.organisation) == (EventKind.EXPIRED, None, None)


# Deadlines --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("priority", "respond_window"),
    [("stat", timedelta(hours=24)), ("urgent", timedelta(hours=72)), ("routine", timedelta(days=14))],
)
def test_default_deadlines_follow_the_priority(priority, respond_window, sender, receiver):
    assert conf.priority_window(priority, "respond") == respond_window
    case = case_in(Status.REQUESTED, sender, receiver, priority=priority)
    assert case.respond_by == case.sent_at + respond_window
    assert case.contact_by == case.sent_at + conf.priority_window(priority, "contact")
    assert case.contact_by > case.respond_by


def test_priority_windows_are_configurable(settings, sender, receiver):
    settings.VSE_REFERRALS_PRIORITY_WINDOWS = {
        **conf.DEFAULT_PRIORITY_WINDOWS,
        "urgent": {"respond_hours": 5, "contact_hours": 10},
    }
    case = case_in(Status.REQUESTED, sender, receiver, priority="urgent")
    assert case.respond_by == case.sent_at + timedelta(hours=5)
    assert case.contact_by == case.sent_at + timedelta(hours=10)


def test_sender_chosen_deadlines_are_kept(sender, receiver):
    respond_by = timezone.now() + timedelta(days=5)
    contact_by = timezone.now() + timedelta(days=9)
    case = case_in(Status.REQUESTED, sender, receiver, priority="stat", respond_by=respond_by, contact_by=contact_by)
    assert (case.respond_by, case.contact_by) == (respond_by, contact_by)


def test_default_contact_deadline_comes_after_a_later_chosen_answer_deadline(sender, receiver):
    respond_by = timezone.now() + timedelta(days=10)  # later than the 7-day default contact window of "urgent"
    case = case_in(Status.REQUESTED, sender, receiver, priority="urgent", respond_by=respond_by)
    assert case.contact_by > case.respond_by


NOW = timezone.now()


@pytest.mark.parametrize(
    ("fields", "field_in_error"),
    [
        ({"respond_by": NOW + timedelta(minutes=59)}, "respond_by"),
        ({"respond_by": NOW + timedelta(days=60, minutes=1)}, "respond_by"),
        ({"respond_by": NOW - timedelta(hours=1)}, "respond_by"),
        ({"respond_by": NOW + timedelta(days=3), "contact_by": NOW + timedelta(days=3)}, "contact_by"),
        ({"respond_by": NOW + timedelta(days=3), "contact_by": NOW + timedelta(days=2)}, "contact_by"),
        ({"contact_by": NOW + timedelta(minutes=30)}, "contact_by"),
        ({"contact_by": NOW + timedelta(days=120, minutes=1)}, "contact_by"),
    ],
)
def test_deadline_out_of_bounds(fields, field_in_error, org_a, org_b):
    case = builders.make_case(org_a, org_b, **fields)
    assert list(workflow.deadline_errors(case, now=NOW)) == [field_in_error]


@pytest.mark.parametrize(
    "fields",
    [
        {},
        {"respond_by": NOW + timedelta(hours=1)},
        {"respond_by": NOW + timedelta(days=60)},
        {"respond_by": NOW + timedelta(days=3), "contact_by": NOW + timedelta(days=3, minutes=1)},
        {"contact_by": NOW + timedelta(days=120)},
    ],
)
def test_deadline_within_bounds(fields, org_a, org_b):
    case = builders.make_case(org_a, org_b, **fields)
    assert workflow.deadline_errors(case, now=NOW) == {}


def test_sending_with_a_deadline_out_of_bounds_is_refused(sender, receiver):
    case = case_in(Status.DRAFT, sender, receiver, respond_by=timezone.now() + timedelta(minutes=10))
    with pytest.raises(ValidationError) as error:
        workflow.perform(case, "send", builders.acting(sender))
    assert list(error.value.message_dict) == ["respond_by"]
    assert_unchanged(case, Status.DRAFT, 0)


# What must be there before a case is sent -------------------------------------------------------


def test_a_complete_case_has_no_sending_errors(org_a, org_b):
    assert workflow.sending_errors(builders.make_case(org_a, org_b)) == {}


TOMORROW = "tomorrow"

SENDING_ERRORS = {
    "no receiver": ({"receiving_organisation": None}, "receiving_organisation"),
    "receiver not accepting referrals": ({"accepts_referrals": False}, "receiving_organisation"),
    "no consent to share": ({"consent_to_share": False}, "consent_to_share"),
    "no consent date": ({"consent_obtained_on": None}, "consent_obtained_on"),
    "future consent date": ({"consent_obtained_on": TOMORROW}, "consent_obtained_on"),
    "no consent method": ({"consent_method": ""}, "consent_method"),
    "phone without consent to contact": ({"consent_to_contact": False, "email": ""}, "consent_to_contact"),
    "e-mail without consent to contact": ({"consent_to_contact": False, "phone": ""}, "consent_to_contact"),
    "no name": ({"name": ""}, "name"),
    "blank name": ({"name": "   "}, "name"),
    "no referral reason": ({"referral_reason": " "}, "referral_reason"),
    "no support needed": ({"support_needed": []}, "support_needed"),
}


@pytest.mark.parametrize("problem", SENDING_ERRORS)
def test_sending_errors(problem, sender, org_a, org_b):
    fields, field_in_error = SENDING_ERRORS[problem]
    fields = dict(fields)
    receiving_organisation = fields.pop("receiving_organisation", org_b)
    if "accepts_referrals" in fields:
        org_b.accepts_referrals = fields.pop("accepts_referrals")
        org_b.save()
    if fields.get("consent_obtained_on") == TOMORROW:
        fields["consent_obtained_on"] = timezone.localdate() + timedelta(days=1)
    case = builders.make_case(org_a, receiving_organisation, created_by=sender, **fields)

    assert list(workflow.sending_errors(case)) == [field_in_error]
    with pytest.raises(ValidationError) as error:
        workflow.perform(case, "send", builders.acting(sender))
    assert list(error.value.message_dict) == [field_in_error]
    assert_unchanged(case, Status.DRAFT, 0)


def test_referral_to_the_own_organisation_is_refused(org_a):
    case = ReferralCase(sending_organisation=org_a, receiving_organisation=org_a, **builders.PERSONAL_VALUES)
    assert "receiving_organisation" in workflow.sending_errors(case)


def test_no_contact_details_need_no_consent_to_contact(org_a, org_b):
    case = builders.make_case(org_a, org_b, consent_to_contact=False, phone="", email="")
    assert workflow.sending_errors(case) == {}


# Opening ----------------------------------------------------------------------------------------


def test_open_if_receiver_records_the_first_opening_only(sender, receiver, receiver_deputy):
    case = case_in(Status.REQUESTED, sender, receiver)
    case = workflow.open_if_receiver(case, builders.acting(receiver))
    assert case.status == Status.RECEIVED
    first = case.received_at
    assert first is not None

    for user in (receiver, receiver_deputy, receiver):
        case = workflow.open_if_receiver(case, builders.acting(user))
        assert (case.status, case.received_at) == (Status.RECEIVED, first)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RECEIVED).count() == 1


def test_open_if_receiver_with_a_stale_copy_does_not_fail(sender, receiver, receiver_deputy):
    case = case_in(Status.REQUESTED, sender, receiver)
    stale = ReferralCase.objects.get(pk=case.pk)
    workflow.open_if_receiver(case, builders.acting(receiver))
    opened = workflow.open_if_receiver(stale, builders.acting(receiver_deputy))  # still "requested" in memory
    assert opened.status == Status.RECEIVED
    assert CaseEvent.objects.filter(case=case, kind=EventKind.RECEIVED).count() == 1


def test_open_if_receiver_does_nothing_for_the_sender_or_others(roles):
    case = case_in(Status.REQUESTED, roles["contact point of A"], roles["contact point of B"])
    for role in ("contact point of A", "deputy of A", "superuser", "ended contact point of B"):
        case = workflow.open_if_receiver(case, builders.acting(roles[role]))
        assert (case.status, case.received_at) == (Status.REQUESTED, None)
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.RECEIVED).exists()


# Priority advice and available transitions ------------------------------------------------------


ADVICE_CHILD = "The victim is a child."
ADVICE_RISK = "The assessment records a risk to the victim."
ADVICE_LEAVING = "The victim leaves the country within a week."


@pytest.mark.parametrize(
    ("fields", "advice"),
    [
        ({}, []),
        ({"age_band": "child"}, [ADVICE_CHILD]),
        ({"risk_retaliation": True}, [ADVICE_RISK]),
        ({"risk_children_affected": True}, [ADVICE_RISK]),
        ({"leaves_in_days": 7}, [ADVICE_LEAVING]),
        ({"leaves_in_days": 8}, []),
        (
            {"age_band": "child", "risk_intimidation": True, "leaves_in_days": 0},
            [ADVICE_CHILD, ADVICE_RISK, ADVICE_LEAVING],
        ),
    ],
)
@pytest.mark.parametrize("priority", ["routine", "urgent"])
def test_priority_advice(priority, fields, advice, org_a, org_b):
    fields = dict(fields, age_band=fields.get("age_band", "26-64"))
    if "leaves_in_days" in fields:
        fields["leaves_country_on"] = timezone.localdate() + timedelta(days=fields.pop("leaves_in_days"))
    case = builders.make_case(org_a, org_b, priority=priority, **fields)
    assert workflow.priority_advice(case) == advice


def test_no_priority_advice_for_an_emergency(org_a, org_b):
    case = builders.make_case(
        org_a,
        org_b,
        priority="stat",
        age_band="child",
        risk_repeat_victimisation=True,
        leaves_country_on=timezone.localdate(),
    )
    assert workflow.priority_advice(case) == []


@pytest.mark.parametrize(
    ("status", "sender_sees", "receiver_sees"),
    [
        (Status.DRAFT, ["withdraw_consent"], []),
        (Status.REQUESTED, ["withdraw", "withdraw_consent"], ["accept", "decline"]),
        (Status.RECEIVED, ["withdraw", "withdraw_consent"], ["accept", "decline"]),
        (
            Status.ACCEPTED,
            ["withdraw", "withdraw_consent"],
            ["start", "request_information", "record_contact", "close"],
        ),
        (Status.IN_PROGRESS, ["withdraw", "withdraw_consent"], ["request_information", "record_contact", "close"]),
        (Status.ON_HOLD, ["give_information", "withdraw", "withdraw_consent"], []),
        (Status.REJECTED, [], []),
        (Status.CANCELLED, [], []),
        (Status.COMPLETED, [], []),
        (Status.FAILED, [], []),
    ],
)
def test_available_transitions(status, sender_sees, receiver_sees, sender, receiver):
    case = case_in(status, sender, receiver)
    assert [t.name for t in workflow.available_transitions(case, Side.SENDER)] == sender_sees
    assert [t.name for t in workflow.available_transitions(case, Side.RECEIVER)] == receiver_sees


# Two contact points acting at once --------------------------------------------------------------


def test_second_accept_on_a_stale_copy_conflicts(sender, receiver, receiver_deputy):
    case = case_in(Status.RECEIVED, sender, receiver)
    seen_by_primary = ReferralCase.objects.get(pk=case.pk)
    seen_by_deputy = ReferralCase.objects.get(pk=case.pk)

    workflow.perform(seen_by_primary, "accept", builders.acting(receiver))
    answered_at = ReferralCase.objects.get(pk=case.pk).answered_at
    with pytest.raises(TransitionConflict) as conflict:
        workflow.perform(seen_by_deputy, "accept", builders.acting(receiver_deputy))

    assert "Accepted" in str(conflict.value)
    assert CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPTED).count() == 1
    assert ReferralCase.objects.get(pk=case.pk).answered_at == answered_at


def test_decline_after_a_concurrent_accept_conflicts_and_keeps_the_acceptance(sender, receiver, receiver_deputy):
    case = case_in(Status.REQUESTED, sender, receiver)
    seen_by_deputy = ReferralCase.objects.get(pk=case.pk)
    workflow.perform(case, "accept", builders.acting(receiver))
    with pytest.raises(TransitionConflict):
        workflow.perform(seen_by_deputy, "decline", builders.acting(receiver_deputy), reason="No capacity")
    case.refresh_from_db()
    assert (case.status, case.status_reason, case.closed_at) == (Status.ACCEPTED, "", None)
    assert not CaseEvent.objects.filter(case=case, kind=EventKind.DECLINED).exists()


@races_threads
def test_two_receivers_accepting_at_once_give_one_success_and_one_conflict(sender, receiver, receiver_deputy):
    users = [receiver.pk, receiver_deputy.pk]
    for _round in range(5):
        case = case_in(Status.RECEIVED, sender, receiver)
        barrier = threading.Barrier(len(users))
        results = []

        def accept(user_pk, case_pk=case.pk, barrier=barrier, results=results):
            try:
                user = get_user_model().objects.get(pk=user_pk)
                copy = ReferralCase.objects.get(pk=case_pk)
                barrier.wait(timeout=10)
                workflow.perform(copy, "accept", builders.acting(user))
                results.append("accepted")
            except TransitionConflict:
                results.append("conflict")
            except Exception as error:  # noqa: BLE001  (reported by the assertion below)
                results.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=accept, args=(pk,)) for pk in users]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert sorted(results) == ["accepted", "conflict"]
        assert CaseEvent.objects.filter(case=case, kind=EventKind.ACCEPTED).count() == 1
        assert ReferralCase.objects.get(pk=case.pk).status == Status.ACCEPTED


# Found when a tester walked through the demo ---------------------------------------------------


@pytest.mark.parametrize("status", [Status.REJECTED, Status.CANCELLED, Status.COMPLETED])
def test_closed_cases_take_no_more_messages(sender, receiver, status):
    case = case_in(status, sender, receiver)
    before = CaseMessage.objects.filter(case=case).count()
    with pytest.raises(workflow.TransitionNotAllowed, match="conversation has ended"):
        workflow.add_message(case, builders.acting(sender), "<p>Still there?</p>")
    assert CaseMessage.objects.filter(case=case).count() == before


def test_withdrawn_consent_ends_the_conversation(sender, receiver):
    case = case_in(Status.ACCEPTED, sender, receiver)
    workflow.perform(case, "withdraw_consent", builders.acting(sender))
    before = CaseMessage.objects.filter(case=case).count()
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.add_message(case, builders.acting(receiver), "<p>About the victim…</p>")
    assert CaseMessage.objects.filter(case=case).count() == before


def test_an_answered_request_no_longer_shows_as_the_case_reason(sender, receiver):
    case = case_in(Status.ON_HOLD, sender, receiver)
    assert case.status_reason
    case = workflow.perform(case, "give_information", builders.acting(sender), reason="She stays until Friday.")
    assert case.status_reason == ""
    assert CaseMessage.objects.filter(case=case).count() == 1


def test_irreversible_transitions_ask_first():
    assert TRANSITIONS["withdraw_consent"].asks_first
    assert all(TRANSITIONS[name].asks_first for name in ("decline", "withdraw", "close", "withdraw_consent"))
    assert not TRANSITIONS["accept"].asks_first
