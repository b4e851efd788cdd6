"""The case lists of a contact point: what needs action, incoming, outgoing, drafts, closed.

Every list starts from the actor's cases (`permissions.Actor.cases`), filters by the ids of the
organisations the actor acts for (so the composite indexes on each organisation column serve
it) and loads metadata only (no decryption), with the organisations joined: the number of
queries does not grow with the number of cases, and their cost follows the actor's own caseload.
"""

from django.utils import timezone

from .models import CLOSED_STATUSES, OPEN_STATUSES, Status


def base_queryset(actor):
    return (
        actor.cases().metadata().select_related("sending_organisation", "receiving_organisation").with_priority_rank()
    )


def needing_action(cases, organisation_ids):
    """Incoming referrals awaiting an answer, and outgoing ones on hold for the sender's answer."""
    return cases.filter(receiving_organisation_id__in=organisation_ids).awaiting_answer() | cases.filter(
        sending_organisation_id__in=organisation_ids, status=Status.ON_HOLD
    )


def incoming(cases, organisation_ids):
    return cases.filter(receiving_organisation_id__in=organisation_ids, status__in=OPEN_STATUSES)


def outgoing(cases, organisation_ids):
    return cases.filter(sending_organisation_id__in=organisation_ids, status__in=OPEN_STATUSES)


def drafts(cases, organisation_ids):
    return cases.filter(sending_organisation_id__in=organisation_ids, status=Status.DRAFT)


def closed(cases, organisation_ids):
    return cases.filter(status__in=CLOSED_STATUSES)


def awaiting_partner(cases, organisation_ids):
    """Outgoing referrals the partner has to act on (the dashboard's second list)."""
    return outgoing(cases, organisation_ids).exclude(status=Status.ON_HOLD)


URGENT_FIRST = ("priority_order", "respond_by", "sent_at")
# Tab name -> (the cases it lists, their order)
TABS = {
    "action": (needing_action, URGENT_FIRST),
    "incoming": (incoming, URGENT_FIRST),
    "outgoing": (outgoing, URGENT_FIRST),
    "drafts": (drafts, ("-updated_at",)),
    "closed": (closed, ("-closed_at",)),
}


def in_tab(cases, organisation_ids, name):
    """`cases` narrowed to the tab `name`, in its order."""
    select, ordering = TABS[name]
    return select(cases, organisation_ids).order_by(*ordering)


def tab(actor, name):
    return in_tab(base_queryset(actor), actor.organisation_ids, name)


def count_needing_action(actor):
    return needing_action(actor.cases(), actor.organisation_ids).count()


def count_overdue_incoming(actor, now=None):
    return incoming(actor.cases(), actor.organisation_ids).overdue(now or timezone.now()).count()
