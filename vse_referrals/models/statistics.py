"""What the retention purge would take from the referral statistics, kept as counts."""

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .organisations import NotInReferenceIndex
from .referrals import STATISTICS_FIELDS


class PurgedCategoryCountQuerySet(models.QuerySet):
    def add(self, case):
        """Count the categories of `case` (a sent referral about to be purged): two queries."""
        if case.sent_at is None:  # never sent: in no report
            return
        keys = {
            "month": timezone.localdate(case.sent_at).replace(day=1),
            "sending_organisation_id": case.sending_organisation_id,
            "receiving_organisation_id": case.receiving_organisation_id,
        }
        codes = [
            (category, code)
            for category in STATISTICS_FIELDS
            for code in (getattr(case, category) if category == "support_needed" else [getattr(case, category)])
        ]
        self.bulk_create(
            [self.model(category=category, code=code, **keys) for category, code in codes], ignore_conflicts=True
        )
        rows = Q()
        for category, code in codes:
            rows |= Q(category=category, code=code)
        self.filter(rows, **keys).update(count=F("count") + 1)


class PurgedCategoryCount(NotInReferenceIndex, models.Model):
    """How many purged referrals sent in `month` between two members had `code` in `category` (a
    field of `STATISTICS_FIELDS`).

    The purge blanks a case's categories (with its reference they would still describe a known
    person) after adding them here, where no reference, no case and no date finer than the month
    remain; the statistics add these counts to those of the referrals not yet purged.
    """

    month = models.DateField(_("month sent"))
    sending_organisation = models.ForeignKey("vse_referrals.Organisation", on_delete=models.PROTECT, related_name="+")
    receiving_organisation = models.ForeignKey("vse_referrals.Organisation", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20)
    code = models.CharField(max_length=20, blank=True)
    count = models.PositiveIntegerField(default=0)

    objects = PurgedCategoryCountQuerySet.as_manager()

    class Meta:
        default_permissions = ()
        verbose_name = _("count of purged referrals")
        verbose_name_plural = _("counts of purged referrals")
        constraints = [
            models.UniqueConstraint(
                fields=["month", "sending_organisation", "receiving_organisation", "category", "code"],
                name="vse_referrals_one_purged_count_per_key",
            )
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.category}={self.code}: {self.count}"
