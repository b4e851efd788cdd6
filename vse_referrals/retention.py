"""Retention (DESIGN.md section 4): personal data is not kept longer than needed.

- A closed case is purged once its `purge_after` has passed (RETENTION_DAYS after closing, or
  at once when consent is withdrawn). What stays is `KEPT_FIELDS`: what the VSE overview shows
  (reference, organisations, priority, status, dates) and the consent record (provable, and it
  holds no identity). Every other column goes back to its empty value, so a field added later
  is purged unless it is added to that list; the coded categories the statistics break referrals
  down by (type of crime, age band, support needed, outcome) were counted when the case closed
  (`ReferralTally`), so the report's figures survive the purge; the messages, the attachments (their
  files once the transaction has committed) and the timeline's details go; the timeline's entries stay
  and a "Personal data purged" entry is added.
- A draft nobody has touched for RETENTION_DAYS is deleted with its files, as "Discard draft"
  would: it was never sent, so no one else has a record of it.

Each case is purged in its own short transaction under a row lock, reading none of its
encrypted values (one that cannot be decrypted does not stop the purge). A case that fails is
logged by reference and left for the next run; the others go on. Due cases are read in batches
(`batches.in_batches`), so a run's memory does not grow with the backlog.
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone

from . import conf
from .batches import garbage_collected_as_it_goes, in_batches
from .models import (
    CLOSED_STATUSES,
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    EventKind,
    ReferralCase,
    Status,
)
from .models.referrals import METADATA_FIELDS

logger = logging.getLogger(__name__)

# What the VSE overview shows (METADATA_FIELDS), plus the consent record and the retention dates.
KEPT_FIELDS = frozenset(METADATA_FIELDS) | {
    "id",
    "created_by",
    "status_before_hold",
    "purge_after",
    "purged_at",
    "consent_obtained_on",
    "consent_method",
    "consent_to_share",
    "consent_to_contact",
    "consent_to_report_back",
}


@dataclass
class PurgeResult:
    purged: list[str] = field(default_factory=list)  # references
    drafts_deleted: int = 0
    files_deleted: int = 0
    failed: list[str] = field(default_factory=list)  # references left for the next run


def due(now=None):
    """Closed cases whose personal data is due for purging."""
    now = now or timezone.now()
    return ReferralCase.objects.filter(
        status__in=CLOSED_STATUSES, purge_after__lte=now, purged_at__isnull=True
    ).order_by("purge_after")


def stale_drafts(now=None):
    """Drafts untouched for the retention period."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.get("RETENTION_DAYS"))
    return ReferralCase.objects.filter(status=Status.DRAFT, updated_at__lte=cutoff).order_by("updated_at")


def _blank(model_field):
    return None if model_field.null else model_field.get_default()


def _delete_files_after_commit(attachments, result):
    """Delete the attachments' files once the transaction has committed; one failure stops none."""
    storage = CaseAttachment._meta.get_field("file").storage
    for name in attachments.exclude(file="").values_list("file", flat=True):

        def delete(name=name):
            try:
                storage.delete(name)
            except OSError as error:  # the row is gone: say which random file name to remove by hand
                logger.error("Could not delete attachment file %s (%s).", name, type(error).__name__)
            else:
                result.files_deleted += 1

        transaction.on_commit(delete)


def purge_case(case_id, now=None, result=None):
    """Purge one case if it is (still) due; returns its reference, or None."""
    now = now or timezone.now()
    result = result if result is not None else PurgeResult()
    with transaction.atomic():
        # Only plain columns are read: the encrypted values are overwritten, never decrypted.
        case = due(now).select_for_update().only("pk", "reference").filter(pk=case_id).first()
        if case is None:  # purged meanwhile by another run, or no longer due
            return None
        purged = [f for f in ReferralCase._meta.concrete_fields if f.name not in KEPT_FIELDS]
        for model_field in purged:
            setattr(case, model_field.attname, _blank(model_field))
        case.purged_at = now
        # Only these columns: the case's dates (updated_at included) stay as they were.
        case.save(update_fields=[model_field.name for model_field in purged] + ["purged_at"])
        case.languages.clear()

        CaseMessage.objects.filter(case_id=case_id).delete()
        attachments = CaseAttachment.objects.filter(case_id=case_id)
        _delete_files_after_commit(attachments, result)
        attachments.delete()
        # The one change the append-only timeline allows: its details go, its entries stay.
        models.QuerySet.update(CaseEvent.objects.filter(case_id=case_id), detail="")
        CaseEvent.objects.create(case_id=case_id, kind=EventKind.PURGED, created_at=now)
    logger.info("Purged the personal data of referral %s.", case.reference)
    return case.reference


def delete_draft(case_id, now=None, result=None):
    """Delete one stale draft with its files; True if it was deleted."""
    result = result if result is not None else PurgeResult()
    with transaction.atomic():
        draft = stale_drafts(now).select_for_update().only("pk", "reference").filter(pk=case_id).first()
        if draft is None:
            return False
        _delete_files_after_commit(CaseAttachment.objects.filter(case_id=case_id), result)
        ReferralCase.objects.filter(pk=case_id).delete()
    logger.info("Deleted draft %s, untouched for the retention period.", draft.reference)
    return True


def run(now=None, *, dry_run=False):
    """Purge every case that is due and delete stale drafts. Safe to run again and from several
    machines at once."""
    now = now or timezone.now()
    if dry_run:
        return PurgeResult(
            purged=list(due(now).values_list("reference", flat=True)), drafts_deleted=stale_drafts(now).count()
        )
    with garbage_collected_as_it_goes():
        return _run(now)


def _run(now):
    result = PurgeResult()
    for case_id, reference in in_batches(due(now).values_list("pk", "reference")):
        try:
            if purge_case(case_id, now, result):
                result.purged.append(reference)
        except Exception as error:  # noqa: BLE001  (logged by reference; the next run tries again)
            logger.error("Could not purge referral %s (%s).", reference, type(error).__name__)
            result.failed.append(reference)
    for case_id, reference in in_batches(stale_drafts(now).values_list("pk", "reference")):
        try:
            result.drafts_deleted += delete_draft(case_id, now, result)
        except Exception as error:  # noqa: BLE001
            logger.error("Could not delete draft %s (%s).", reference, type(error).__name__)
            result.failed.append(reference)
    return result
