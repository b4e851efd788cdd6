"""Retention (DESIGN.md section 4): the personal data of a closed case is purged once its
`purge_after` has passed (RETENTION_DAYS after closing, or at once when consent is withdrawn).

Purging a case, in one transaction under a row lock:
- blanks every encrypted value of the case (identity, contact, narrative, assessment, reasons,
  outcome notes): every field of an encrypted type, so a field added later is purged too;
- blanks the plain values that describe the person rather than the case
  (`PERSONAL_PLAIN_FIELDS`: how and when to reach them, travel date, languages);
- deletes the messages and the attachments, and the attachment files once the transaction
  has committed;
- removes the details of the timeline entries (the entries stay: who did what, when);
- records `purged_at` and a "Personal data purged" timeline entry.

What remains is what the VSE overview shows and statistics count: the reference, the
organisations, priority, status and reason code, the timestamps and deadlines, the consent
record (date, method, what was agreed: it holds no identity and must stay provable), and the
triage categories (who was referred, age band, type of crime, support needed, risks, outcome).
"""

import logging
from dataclasses import dataclass, field

from django.db import models, transaction
from django.utils import timezone

from .crypto import EncryptedFieldMixin
from .models import CLOSED_STATUSES, CaseAttachment, CaseEvent, CaseMessage, EventKind, ReferralCase

logger = logging.getLogger(__name__)

PERSONAL_PLAIN_FIELDS = (
    "name_is_code",
    "contact_channels",
    "safe_to_call",
    "safe_to_leave_message",
    "leaves_country_on",
)


@dataclass
class PurgeResult:
    purged: list[str] = field(default_factory=list)  # references
    files_deleted: int = 0


def due(now=None):
    """Closed cases whose personal data is due for purging."""
    now = now or timezone.now()
    return ReferralCase.objects.filter(
        status__in=CLOSED_STATUSES, purge_after__lte=now, purged_at__isnull=True
    ).order_by("purge_after")


def _blank(model_field):
    return None if model_field.null else model_field.get_default()


def purge_case(case_id, now=None):
    """Purge one case if it is (still) due; returns (reference, files deleted) or None."""
    now = now or timezone.now()
    with transaction.atomic():
        case = due(now).select_for_update().filter(pk=case_id).first()
        if case is None:  # purged meanwhile by another run, or no longer due
            return None
        purged = [
            model_field
            for model_field in case._meta.concrete_fields
            if isinstance(model_field, EncryptedFieldMixin) or model_field.name in PERSONAL_PLAIN_FIELDS
        ]
        for model_field in purged:
            setattr(case, model_field.attname, _blank(model_field))
        case.purged_at = now
        # Only these columns: the case's other timestamps (updated_at included) stay as they were.
        case.save(update_fields=[model_field.name for model_field in purged] + ["purged_at"])
        case.languages.clear()

        CaseMessage.objects.filter(case=case).delete()
        attachments = CaseAttachment.objects.filter(case=case)
        names = [name for name in attachments.values_list("file", flat=True) if name]
        attachments.delete()
        storage = CaseAttachment._meta.get_field("file").storage
        for name in names:
            transaction.on_commit(lambda name=name: storage.delete(name))

        # The one change the append-only timeline allows: its details go, its entries stay.
        models.QuerySet.update(CaseEvent.objects.filter(case=case), detail="")
        CaseEvent.objects.create(case=case, kind=EventKind.PURGED, created_at=now)
    logger.info("Purged the personal data of referral %s.", case.reference)
    return case.reference, len(names)


def run(now=None, *, dry_run=False):
    """Purge every case that is due. Safe to run again and from several machines at once."""
    now = now or timezone.now()
    result = PurgeResult()
    if dry_run:
        result.purged = list(due(now).values_list("reference", flat=True))
        return result
    # One short transaction per case: a large backlog never holds many locks at once.
    for case_id in list(due(now).values_list("pk", flat=True)):
        done = purge_case(case_id, now)
        if done:
            result.purged.append(done[0])
            result.files_deleted += done[1]
    return result
