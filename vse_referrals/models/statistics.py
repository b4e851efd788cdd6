"""The referral statistics' running counts of closed referrals (see `statistics.tally`)."""

from collections import defaultdict
from functools import reduce
from operator import or_

from django.db import models, transaction
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from .organisations import NotInReferenceIndex

# Rows named in one UPDATE: well inside SQLite's limits on bound parameters and expression depth.
UPDATE_BATCH = 250


class ReferralTallyQuerySet(models.QuerySet):
    def add(self, counts):
        """Add `counts` ({(month, organisation id or None, key): number}) to the tally, safely beside
        other transactions adding to the same rows (each row is incremented in the database)."""
        if not counts:
            return
        # In one order for everyone: two closings inserting the same new rows wait for each other
        # rather than deadlock.
        rows = sorted(counts, key=lambda row: (row[0], row[1] or 0, row[2]))
        by_increment = defaultdict(list)
        for month, organisation, key in rows:
            by_increment[counts[month, organisation, key]].append(Q(month=month, organisation_id=organisation, key=key))
        with transaction.atomic():
            self.bulk_create(
                [self.model(month=month, organisation_id=organisation, key=key) for month, organisation, key in rows],
                ignore_conflicts=True,
                batch_size=500,
            )
            for number, conditions in by_increment.items():
                for start in range(0, len(conditions), UPDATE_BATCH):
                    batch = conditions[start : start + UPDATE_BATCH]
                    self.filter(reduce(or_, batch)).update(count=F("count") + number)


class ReferralTally(NotInReferenceIndex, models.Model):
    """How many closed referrals sent in `month` count under `key` (a figure and a code of the
    report, such as "monthly:completed" or "crime_type:fraud"), for the whole network or, with an
    `organisation`, among the referrals that member sent or received.

    A referral is added when it closes, and a closed referral does not change again: the report
    reads these few rows per month instead of every closed referral, and counts only the open
    ones. No reference, no case and no date finer than the month is kept, so the counts outlive
    the retention purge (which blanks a case's categories) without describing anyone.
    """

    month = models.DateField(_("month sent"))
    organisation = models.ForeignKey(
        "vse_referrals.Organisation", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=40)
    count = models.PositiveIntegerField(default=0)

    objects = ReferralTallyQuerySet.as_manager()

    class Meta:
        default_permissions = ()
        verbose_name = _("referral statistics count")
        verbose_name_plural = _("referral statistics counts")
        # Partial: a NULL organisation would make every network row distinct to one constraint.
        constraints = [
            models.UniqueConstraint(
                fields=["month", "key"],
                condition=Q(organisation__isnull=True),
                name="vse_referrals_one_network_tally_per_key",
            ),
            models.UniqueConstraint(
                fields=["organisation", "month", "key"],
                condition=Q(organisation__isnull=False),
                name="vse_referrals_one_member_tally_per_key",
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.organisation_id or 'network'} {self.key}: {self.count}"
