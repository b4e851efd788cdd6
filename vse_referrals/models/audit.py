"""The audit log: append-only, hash-chained, metadata only (DESIGN.md section 4, "Audit").

Separate from the case timeline (`CaseEvent`), which the parties see and the retention purge
trims: an audit entry says who (user id and username, copied), for which organisation (id and
name, copied), did what (`AuditAction`), on which object (content type and id, a label that is
metadata: a case's reference, never its content), when and from which client address. Copies
rather than foreign keys that cascade or go blank, so an entry outlives its user, organisation
and case; the user is Wagtail's `BaseLogEntry.user` (no constraint, nothing done on delete).

Each entry holds the hash of the one before it (`previous_hash`) and its own `hash`, SHA-256 of
`HASHED_FIELDS` in a canonical form; `sequence` numbers the entries 1, 2, 3... and
`AuditChainHead` (one row) holds the last sequence and hash. Appending locks that row, so two
requests appending at once queue up instead of forking the chain (and `sequence` is unique, so a
fork is refused by the database whatever happens). `manage.py verify_audit_log` walks the chain.

The entries are Wagtail log entries (`BaseLogEntry`): registered for `ReferralCase` in
`register_log_actions`, they are listed in Wagtail's Reports > Site history, to superusers and to
users with `view_audit_log` or the right to change contact points (network administrators).

Python refuses to change or delete an entry; migration 0009 adds database triggers that refuse it
too (see `vse_referrals.audit.maintenance` for the one exception: `manage.py flush`). On SQLite a
migration that rebuilds this table drops its triggers: such a migration must create them again.
"""

import hashlib
import json
from datetime import timezone as dt_timezone

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.models.audit_log import BaseLogEntry, BaseLogEntryManager, LogEntryQuerySet

from .organisations import DESIGNATING_PERMISSIONS

GENESIS_HASH = "0" * 64
HEAD_ID = 1

# What the hash covers, in this order; never change it for existing entries (add a new version).
HASHED_FIELDS = (
    "sequence",
    "previous_hash",
    "timestamp",
    "action",
    "user_id",
    "username",
    "organisation_id",
    "organisation_name",
    "content_type_id",
    "object_id",
    "label",
    "data",
    "client_address",
    "uuid",
    "revision_id",
    "content_changed",
    "deleted",
)


class AuditAction(models.TextChoices):
    """What an entry records; the values are Wagtail log action names, the labels its filter's."""

    CASE_VIEWED = "vse_referrals.case.view", _("Referral viewed")
    ATTACHMENT_DOWNLOADED = "vse_referrals.case.download", _("Referral file downloaded")
    TRANSITION = "vse_referrals.case.transition", _("Referral status changed")
    MESSAGE_SENT = "vse_referrals.case.message", _("Referral message sent")
    ATTACHMENT_ADDED = "vse_referrals.case.upload", _("Referral file added")
    ACCESS_DENIED = "vse_referrals.case.denied", _("Referral access denied")
    EXPORTED = "vse_referrals.export", _("Listing exported")
    DESIGNATION_CREATED = "vse_referrals.designation.create", _("Contact point designated")
    DESIGNATION_CHANGED = "vse_referrals.designation.change", _("Contact point designation changed")
    DESIGNATION_ENDED = "vse_referrals.designation.end", _("Contact point designation ended")
    DESIGNATION_DELETED = "vse_referrals.designation.delete", _("Contact point designation deleted")
    DESIGNATION_CONFIRMED = "vse_referrals.designation.confirm", _("Contact point designation confirmed")
    TWO_FACTOR_RESET = "vse_referrals.two_factor.reset", _("Two-step verification reset")
    CREDENTIALS_CHANGE_REFUSED = "vse_referrals.account.refused", _("Change of a point of contact's sign-in refused")


class AppendOnlyError(TypeError):
    pass


APPEND_ONLY = "The audit log is append-only: its entries cannot be changed or deleted."


def can_view_audit_log(user):
    """Who sees the audit log: superusers, holders of `view_audit_log`, and network administrators
    (who may designate points of contact). Metadata only, like the referral overview."""
    permissions = ("vse_referrals.view_audit_log", *DESIGNATING_PERMISSIONS)
    return user.is_active and any(user.has_perm(name) for name in permissions)


class AuditEntryQuerySet(LogEntryQuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError(APPEND_ONLY)

    def delete(self):
        raise AppendOnlyError(APPEND_ONLY)

    def with_instances(self):
        # The log names its objects and never loads them (a case row holds personal data; it
        # may be purged or deleted): Wagtail's report shows the label without a link.
        for entry in self:
            yield entry, None


class AuditEntryManager(BaseLogEntryManager):
    def get_queryset(self):
        return AuditEntryQuerySet(self.model, using=self._db)

    def viewable_by_user(self, user):
        return self.all() if can_view_audit_log(user) else self.none()

    def for_instance(self, instance):
        content_type = ContentType.objects.get_for_model(instance, for_concrete_model=False)
        return self.filter(content_type=content_type, object_id=str(instance.pk))

    def log_action(self, instance, action, user=None, uuid=None, **kwargs):
        """Wagtail's `log()` of a model registered to the audit log: chained like any entry."""
        return self.append(
            action=action,
            user=user,
            content_type=ContentType.objects.get_for_model(instance, for_concrete_model=False),
            object_id=str(instance.pk),
            label=str(instance),
            uuid=uuid,
            data=kwargs.get("data") or {},
        )

    def append(self, *, action, user=None, organisation=None, client_address="", **fields):
        """Add one entry at the end of the chain, in the caller's transaction if there is one.

        Three queries: lock the chain head, insert the entry, move the head."""
        with transaction.atomic(using=self.db, savepoint=False):
            head = AuditChainHead.objects.select_for_update().filter(pk=HEAD_ID).first() or _start_head()
            entry = self.model(
                sequence=head.sequence + 1,
                previous_hash=head.hash,
                timestamp=timezone.now(),
                action=action,
                user_id=getattr(user, "pk", None),
                username=user.get_username() if user is not None else "",
                organisation_id=getattr(organisation, "pk", None),
                organisation_name=str(organisation) if organisation is not None else "",
                client_address=client_address or "",
                **fields,
            )
            entry.hash = entry.compute_hash()
            entry.save()
            AuditChainHead.objects.filter(pk=HEAD_ID).update(sequence=entry.sequence, hash=entry.hash)
        return entry


def _start_head():
    """The chain head, created on the first entry ever (or after a flush), from the last entry if
    any (so that a lost head row restarts nothing), and locked."""
    last = AuditEntry.objects.order_by("-sequence").values("sequence", "hash").first()
    AuditChainHead.objects.get_or_create(pk=HEAD_ID, defaults=last or {"sequence": 0, "hash": GENESIS_HASH})
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_ID)


class AuditEntry(BaseLogEntry):
    content_type = models.ForeignKey(
        ContentType,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        verbose_name=_("content type"),
        null=True,
        blank=True,
        related_name="+",
    )
    object_id = models.CharField(_("object id"), max_length=64, blank=True, db_index=True)
    username = models.CharField(_("username"), max_length=150, blank=True)
    organisation_id = models.BigIntegerField(_("organisation id"), null=True, blank=True)
    organisation_name = models.CharField(_("organisation"), max_length=200, blank=True)
    client_address = models.CharField(_("client address"), max_length=45, blank=True)
    sequence = models.PositiveBigIntegerField(_("sequence"), unique=True)
    previous_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    objects = AuditEntryManager()

    class Meta:
        ordering = ["-timestamp", "-sequence"]
        verbose_name = _("audit log entry")
        verbose_name_plural = _("audit log entries")
        default_permissions = ()
        permissions = [("view_audit_log", _("Can view the audit log (metadata only)"))]

    def __str__(self):
        return f"#{self.sequence} {self.action}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(APPEND_ONLY)
        # Wagtail's save() runs full_clean(), which would query for each foreign key and unique
        # column: the registered action is the one check that matters here.
        self.clean()
        models.Model.save(self, *args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(APPEND_ONLY)

    def canonical(self):
        """The hashed fields as compact JSON with sorted keys: the same text before and after a
        round trip through the database."""
        values = {}
        for name in HASHED_FIELDS:
            value = getattr(self, name)
            if name == "timestamp":
                value = value.astimezone(dt_timezone.utc).isoformat(timespec="microseconds")
            elif name == "uuid" and value is not None:
                value = str(value)
            values[name] = value
        return json.dumps(values, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def compute_hash(self):
        return hashlib.sha256(self.canonical().encode()).hexdigest()

    @cached_property
    def user_display_name(self):
        """The username copied into the entry, marked when the account no longer exists."""
        if not self.user_id:
            return gettext("system")
        try:
            exists = self.user is not None
        except ObjectDoesNotExist:
            exists = False
        if exists:
            return self.username
        return gettext("%(username)s (deleted user)") % {"username": self.username}


class AuditChainHead(models.Model):
    """The end of the audit chain (one row): the lock appenders queue on, and what
    `verify_audit_log` compares the last entry with, so entries cut off the end are noticed."""

    sequence = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        default_permissions = ()
