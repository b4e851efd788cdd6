"""The case lists of a contact point: what needs action, incoming, outgoing, drafts, closed.

Every list starts from `permissions.cases_for_user` and loads metadata only (no decryption), with
the organisations joined, so the number of queries does not grow with the number of cases.
"""

from django.db.models import Q
from django.utils import timezone

from . import permissions
from .models import AWAITING_ANSWER, CLOSED_STATUSES, OPEN_STATUSES, Status


def base_queryset(user):
    return (
        permissions.cases_for_user(user)
        .metadata()
        .select_related("sending_organisation", "receiving_organisation")
        .with_priority_rank()
    )


def needs_action_q(organisation):
    """Incoming referrals awaiting an answer, and outgoing ones on hold for the sender's answer."""
    return Q(receiving_organisation=organisation, status__in=AWAITING_ANSWER) | Q(
        sending_organisation=organisation, status=Status.ON_HOLD
    )


def overdue_q(now=None):
    now = now or timezone.now()
    return Q(status__in=AWAITING_ANSWER, respond_by__lt=now) | Q(
        status__in=(Status.ACCEPTED, Status.IN_PROGRESS), victim_contacted_at__isnull=True, contact_by__lt=now
    )


# Tab name -> (filter for the user's organisation, ordering)
URGENT_FIRST = ("priority_order", "respond_by", "sent_at")
TABS = {
    "action": (lambda org: needs_action_q(org), URGENT_FIRST),
    "incoming": (lambda org: Q(receiving_organisation=org, status__in=OPEN_STATUSES), URGENT_FIRST),
    "outgoing": (lambda org: Q(sending_organisation=org, status__in=OPEN_STATUSES), URGENT_FIRST),
    "drafts": (lambda org: Q(sending_organisation=org, status=Status.DRAFT), ("-updated_at",)),
    "closed": (lambda org: Q(status__in=CLOSED_STATUSES), ("-closed_at",)),
}


def tab(user, organisation, name):
    condition, ordering = TABS[name]
    return base_queryset(user).filter(condition(organisation)).order_by(*ordering)


def count_needing_action(user, organisation):
    return permissions.cases_for_user(user).filter(needs_action_q(organisation)).count()
