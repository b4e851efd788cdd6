"""Recording to the audit log (`models.audit`): `record()` is the one function the rest calls.

Where each action is recorded, once:
- case views, downloads, transitions, messages and uploads: `vse_referrals.workflow`, in the same
  transaction as the action (an action rolled back leaves no entry);
- denied case requests (any 404 on a case, message or file URL): `views.access.CaseMixin`, with
  the case id from the URL and nothing else, committed although the answer is an error;
- exports of listings and reports: `exports.as_spreadsheet`, where every export starts;
- designations (saved, ended, removed, confirmed): `vse_referrals.designations`, whatever the path;
- two-step resets: `two_factor.reset`.

The client address is the actor's (`permissions.actor_for(request)` reads it through the
proxy-aware `addresses.client_address`); the system (commands, the scheduler) has none.
"""

from contextlib import contextmanager
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models import Model
from django.dispatch import receiver
from django.utils.translation import gettext
from wagtail.log_actions import LogFormatter

from .models import AuditAction, AuditChainHead, AuditEntry, ReferralCase, Status
from .models.audit import GENESIS_HASH, HEAD_ID
from .permissions import actor_for


def record(action, *, actor=None, request=None, on=None, object_id=None, data=None):
    """Append an entry for `action` by `actor` (or the actor of `request`; neither: the system).

    `on` is what the action is about: an instance (its id and `str()`, which for a case is the
    reference only) or a model class with `object_id`. `data`: further codes and ids, never
    content. Returns the entry."""
    if actor is None and request is not None:
        actor = actor_for(request)
    if isinstance(on, Model):
        object_id, label = str(on.pk), str(on)
    else:
        object_id = str(object_id or "")
        label = object_id
    return AuditEntry.objects.append(
        action=action,
        user=actor.user if actor is not None and actor.user.is_authenticated else None,
        organisation=actor.organisation if actor is not None else None,
        client_address=actor.client_address if actor is not None else "",
        content_type=ContentType.objects.get_for_model(on, for_concrete_model=False) if on is not None else None,
        object_id=object_id,
        label=label,
        data=data or {},
    )


def record_denied_case_request(request, case_id):
    """A request for a case URL answered 404: who asked, from where, for which id (the case may
    not exist; nothing about it is read)."""
    return record(AuditAction.ACCESS_DENIED, request=request, on=ReferralCase, object_id=case_id)


# How Wagtail's log views (Reports > Site history) show the entries --------------------------


class AuditEntryFormatter(LogFormatter):
    def format_message(self, log_entry):
        details = [self.label]
        data = log_entry.data or {}
        if "transition" in data:
            details.append(
                gettext("%(from)s to %(to)s")
                % {"from": _status_label(data.get("from")), "to": _status_label(data.get("to"))}
            )
        if "format" in data:
            details.append(f"{data.get('export', '')} ({data['format']})")
        if log_entry.organisation_name:
            details.append(gettext("for %(organisation)s") % {"organisation": log_entry.organisation_name})
        if log_entry.client_address:
            details.append(gettext("from %(address)s") % {"address": log_entry.client_address})
        return ", ".join(str(detail) for detail in details)


def _status_label(code):
    return Status(code).label if code in Status.values else code


def register_log_actions(actions):
    """Wagtail's `register_log_actions` hook: the log model of referral cases, and the actions."""
    actions.register_model(ReferralCase, AuditEntry)
    for action in AuditAction:
        actions.register_action(action.value)(type("Formatter", (AuditEntryFormatter,), {"label": action.label}))


# Maintenance ----------------------------------------------------------------------------------

MAINTENANCE_SETTING = "vse_referrals.audit_maintenance"


@contextmanager
def maintenance(using="default"):
    """Let this connection delete audit entries (TRUNCATE or DELETE, never UPDATE) while inside.

    Only `manage.py flush` uses it (it erases every table, the test suite's flush included). On
    PostgreSQL it sets a session setting the triggers look for; on SQLite a function of this
    connection the delete trigger calls. Anyone with the database owner's rights can do as much
    (or drop the triggers): the hash chain and `verify_audit_log` are what makes that visible."""
    connection = connections[using]
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config(%s, 'on', false)", [MAINTENANCE_SETTING])
    connection.vse_referrals_audit_maintenance = True
    try:
        yield
    finally:
        connection.vse_referrals_audit_maintenance = False
        if connection.vendor == "postgresql" and connection.connection is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config(%s, 'off', false)", [MAINTENANCE_SETTING])


@receiver(connection_created, dispatch_uid="vse_referrals_audit_maintenance_function")
def add_sqlite_maintenance_function(sender, connection, **kwargs):
    """SQLite has no session settings: the delete trigger asks this connection's function. Any
    other connection (the sqlite3 shell) has no such function, so its DELETE fails too."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "vse_referrals_audit_maintenance",
            0,
            lambda: int(getattr(connection, "vse_referrals_audit_maintenance", False)),
        )


# The triggers migration 0009 creates, per database.
TRIGGERS = {
    "postgresql": {"vse_referrals_audit_no_update_or_delete", "vse_referrals_audit_no_truncate"},
    "sqlite": {"vse_referrals_audit_no_update", "vse_referrals_audit_no_delete"},
}


def protecting_triggers(using="default"):
    """The names of the enabled triggers that protect the audit log (empty: unprotected)."""
    connection = connections[using]
    table = AuditEntry._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = %s::regclass AND NOT tgisinternal AND tgenabled <> 'D'",
                [table],
            )
        elif connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
        else:
            return set()
        return {name for (name,) in cursor.fetchall()}


# Verification -----------------------------------------------------------------------------------


@dataclass
class Verification:
    count: int = 0
    last_hash: str = GENESIS_HASH
    problem: str = ""  # the first broken or missing link; empty when the log is intact


def verify(using="default", known_hashes=()):
    """Walk the chain in order, one entry in memory at a time, and stop at the first problem:
    an entry whose hash does not match its content (altered), a gap in the sequence (removed),
    an entry that does not name the hash of the one before (altered, removed or reordered), a
    chain head past the last entry (removed from the end), missing or disabled triggers, or a hash
    printed by an earlier run (`known_hashes`, kept where the database's users cannot write) that
    the chain no longer holds: entries cut from the end with the head moved back, or the whole log
    rewritten."""
    result = Verification()
    unseen = set(known_hashes)
    expected = 1
    for entry in AuditEntry.objects.using(using).order_by("sequence").iterator(chunk_size=2000):
        where = f"entry #{entry.sequence} (id {entry.pk})"
        if entry.sequence > expected:
            result.problem = f"Entries #{expected} to #{entry.sequence - 1} are missing, before {where}."
        elif entry.compute_hash() != entry.hash:
            result.problem = f"The content of {where} was altered: it does not match its hash."
        elif entry.previous_hash != result.last_hash:
            result.problem = (
                f"{where.capitalize()} does not follow entry #{expected - 1}: an entry was altered, removed or moved."
            )
        if result.problem:
            return result
        result.count += 1
        result.last_hash = entry.hash
        unseen.discard(entry.hash)
        expected = entry.sequence + 1
    head = AuditChainHead.objects.using(using).filter(pk=HEAD_ID).first()
    if head is not None and head.sequence >= expected:
        result.problem = f"Entries #{expected} to #{head.sequence} are missing at the end of the log."
    elif head is not None and head.hash != result.last_hash:
        result.problem = f"The last entry, #{expected - 1}, is not the one the chain head names."
    elif missing := TRIGGERS.get(connections[using].vendor, set()) - protecting_triggers(using):
        result.problem = "Triggers that refuse changes to the audit log are missing or disabled: " + ", ".join(
            sorted(missing)
        )
    elif unseen:
        result.problem = (
            "The log no longer holds an entry with the hash printed by an earlier run ("
            + ", ".join(sorted(unseen))
            + "): entries were cut from its end, or it was rewritten."
        )
    return result
