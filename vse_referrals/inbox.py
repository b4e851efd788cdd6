"""The case lists of a contact point: what needs action, incoming, outgoing, drafts, closed.

Every list is the actor's cases on one side or both (`permissions.Actor.cases`), filtered so
that one composite index per side serves it, and loads metadata only (no decryption) with the
organisations joined: the number of queries does not grow with the number of cases, and their
cost follows the actor's own caseload, not the network's.
"""

from django.db import connection
from django.utils import timezone

from .models import CLOSED_STATUSES, OPEN_STATUSES, Side, Status


def needing_action(actor):
    """Incoming referrals awaiting an answer, and outgoing ones on hold for the sender's answer."""
    return actor.cases(Side.RECEIVER).awaiting_answer() | actor.cases(Side.SENDER).filter(status=Status.ON_HOLD)


def incoming(actor):
    return actor.cases(Side.RECEIVER).filter(status__in=OPEN_STATUSES)


def outgoing(actor):
    return actor.cases(Side.SENDER).filter(status__in=OPEN_STATUSES)


def drafts(actor):
    return actor.cases(Side.SENDER).filter(status=Status.DRAFT)


def closed(actor):
    # One arm per side, each with the status, so that each side's index narrows it.
    return actor.cases(Side.SENDER).filter(status__in=CLOSED_STATUSES) | actor.cases(Side.RECEIVER).filter(
        status__in=CLOSED_STATUSES
    )


def awaiting_partner(actor):
    """Outgoing referrals the partner has to act on (the dashboard's second list)."""
    return outgoing(actor).exclude(status=Status.ON_HOLD)


URGENT_FIRST = ("priority_rank", "respond_by", "sent_at")
# Tab name -> (the cases it lists, their order)
TABS = {
    "action": (needing_action, URGENT_FIRST),
    "incoming": (incoming, URGENT_FIRST),
    "outgoing": (outgoing, URGENT_FIRST),
    "drafts": (drafts, ("-updated_at",)),
    "closed": (closed, ("-closed_at",)),
}


def listing(cases, *extra):
    """What a list of cases shows: metadata (nothing decrypted), the `extra` plain columns it needs
    and both organisations."""
    return cases.metadata(*extra).select_related("sending_organisation", "receiving_organisation")


def tab(actor, name, *extra):
    select, ordering = TABS[name]
    return listing(select(actor), *extra).order_by(*ordering)


def count_needing_action(actor):
    return needing_action(actor).count()


def overdue_incoming(actor, now=None):
    return incoming(actor).overdue(now or timezone.now())


def count_each(querysets):
    """How many rows each queryset has, in one round trip to the database.

    Django's count() asks one query per queryset; the dashboard needs up to three at once."""
    selects, params = [], []
    for queryset in querysets:
        sql, query_params = queryset.order_by().values("pk").query.sql_with_params()
        # Each select is SQL that Django compiled from a queryset; every value stays a parameter.
        selects.append(f"(SELECT COUNT(*) FROM ({sql}) counted)")  # nosec B608  # compiled by Django
        params.extend(query_params)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(selects)}", params)  # nosec B608  # the selects above
        return list(cursor.fetchone())
