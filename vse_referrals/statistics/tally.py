"""What a referral counts as in the statistics, and the running counts of the closed ones.

A closed referral never changes again, so the workflow adds it to `ReferralTally` as it closes
(`record_closed`): the report then reads a few rows per month and member for the closed referrals
and groups only the open ones itself (`figures.Report`). Both follow the rules here: the monthly
columns a referral counts in (`monthly_columns`), whether it was answered in time and was due
(`IN_TIME` and `due` for the database; `answered_in_time` and `was_due` for a closed case).

Keys are "figure:code": "monthly:<column>"; "<category>:<code>" for each of `CATEGORIES`, and
"support_needed:<code>" for each kind of support asked for; "flow:<sending country>:<receiving
country>"; and, for the network only, "received:<member id>", "in_time:<member id>" and
"due:<member id>" (`MEMBER_FIGURES`) for the answer times per receiving member.
"""

from collections import Counter

from django.db.models import F, Q
from django.utils import timezone

from ..models import CLOSED_STATUSES, Organisation, ReasonCode, ReferralCase, ReferralTally, Status
from ..models.referrals import RESPOND_CLOCK, STATISTICS_COLUMNS, STATISTICS_FIELDS

# The categories a referral is broken down by: one code each, and `support_needed` a list.
CATEGORIES = ("priority", "crime_type", "age_band", "outcome")
MEMBER_FIGURES = ("received", "in_time", "due")
# The columns `keys` reads: metadata only, never an encrypted or free-text column.
COLUMNS = STATISTICS_COLUMNS

# Answered by the answer deadline; due: answered, expired, or still unanswered past the deadline.
IN_TIME = Q(answered_at__isnull=False, answered_at__lte=F("respond_by"))


def due(now):
    return Q(answered_at__isnull=False) | Q(status_reason_code=ReasonCode.EXPIRED) | RESPOND_CLOCK.overdue(now)


def answered_in_time(case):
    """`IN_TIME` for a case's values."""
    answered, deadline = case["answered_at"], case["respond_by"]
    return answered is not None and deadline is not None and answered <= deadline


def was_due(case):
    """`due` for a closed case's values (no answer clock runs on it any more)."""
    return case["answered_at"] is not None or case["status_reason_code"] == ReasonCode.EXPIRED


def monthly_columns(status, reason_code, answered):
    """The columns of the monthly table a sent referral in `status` counts in."""
    columns = ["sent"]
    if answered and status != Status.REJECTED:
        columns.append("accepted")
    columns += {
        Status.REJECTED: ["declined"],
        Status.CANCELLED: ["withdrawn"],
        Status.COMPLETED: ["completed"],
        Status.FAILED: ["expired"] if reason_code == ReasonCode.EXPIRED else [],
    }.get(status, [])
    return columns


def month_of(moment):
    """The first day of the month of `moment` in the site's time zone (the periods' months)."""
    return timezone.localtime(moment, timezone.get_default_timezone()).date().replace(day=1)


def keys(case, countries, *, categories=True):
    """[(organisation id, or None for the network, key)] that closed `case` (a dict of `COLUMNS`)
    counts under; `countries`: {organisation id: country}. Without `categories`, not those the
    retention purge blanks (for a purged case)."""
    sender, receiver = case["sending_organisation"], case["receiving_organisation"]
    answered = case["answered_at"] is not None
    party = [f"monthly:{column}" for column in monthly_columns(case["status"], case["status_reason_code"], answered)]
    party += [
        f"{category}:{case[category]}" for category in CATEGORIES if categories or category not in STATISTICS_FIELDS
    ]
    if categories:
        party += [f"support_needed:{code}" for code in sorted(set(case["support_needed"] or ()))]
    party.append(f"flow:{countries[sender]}:{countries[receiver]}")
    member = {"received": True, "in_time": answered_in_time(case), "due": was_due(case)}
    return [(organisation, key) for organisation in (None, sender, receiver) for key in party] + [
        (None, f"{figure}:{receiver}") for figure, counted in member.items() if counted
    ]


def count(cases):
    """{(month, organisation id or None, key): number} of the closed and sent `cases` (a queryset):
    for one that has just closed, or for referrals loaded in bulk (the demo, the benchmark)."""
    countries = dict(Organisation.objects.values_list("pk", "country"))
    counts = Counter()
    closed = cases.filter(status__in=CLOSED_STATUSES, sent_at__isnull=False)
    for case in closed.values(*COLUMNS, "purged_at").order_by():
        month = month_of(case["sent_at"])
        counted = keys(case, countries, categories=case["purged_at"] is None)
        counts.update((month, organisation, key) for organisation, key in counted)
    return counts


def record_closed(case):
    """Add `case`, which has just closed, to the running counts (in the workflow's transaction)."""
    ReferralTally.objects.add(count(ReferralCase.objects.filter(pk=case.pk)))
