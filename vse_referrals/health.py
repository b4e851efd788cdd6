"""The checks behind the health endpoint (views/health.py), for load balancers and monitoring.

Each check answers a small dict: `status` ("ok" or "fail") and a few numbers or times, never a
row's content, a name or an address; an exception is reported by its class name only (its text
could hold a path or a value). `SERVING` are what an app server needs to serve a request (the
load balancer's question); `ALL` adds the background work a monitor watches (the task worker's
outbox and the reminders cron), which no app server can fix by being taken out of rotation.
"""

import logging
import uuid
from datetime import timedelta

from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from . import conf, crypto, monitoring
from .models import CaseAttachment

logger = logging.getLogger(__name__)

PROBE = b"vse_referrals health probe"
PROBE_FOLDER = "health-check"
OK, FAIL = "ok", "fail"


def database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"status": OK}


def attachment_storage():
    """Write, read back (decrypted) and delete a probe file in the attachments' own storage."""
    storage = CaseAttachment._meta.get_field("file").storage
    name = storage.save(f"{PROBE_FOLDER}/{uuid.uuid4().hex}", ContentFile(PROBE))
    try:
        with storage.open(name, "rb") as handle:
            readable = crypto.decrypt_bytes(handle.read()) == PROBE
    finally:
        storage.delete(name)
    return {"status": OK if readable else FAIL}


def outbox():
    """E-mails waiting in the outbox, and how long the oldest has waited."""
    unsent, oldest, given_up = monitoring.outbox_backlog()
    limit = timedelta(minutes=conf.get("HEALTH_OUTBOX_MAX_AGE_MINUTES"))
    waited = timezone.now() - oldest if oldest else timedelta(0)
    return {
        "status": OK if waited <= limit else FAIL,
        "unsent": unsent,
        "given_up": given_up,
        "oldest_unsent_seconds": int(waited.total_seconds()),
        "limit_seconds": int(limit.total_seconds()),
    }


def reminders():
    """When the reminders cron last completed (failing when it never has, or too long ago)."""
    completed = monitoring.last_run(monitoring.REMINDERS)
    limit = timedelta(minutes=conf.get("HEALTH_REMINDERS_MAX_AGE_MINUTES"))
    age = timezone.now() - completed if completed else None
    return {
        "status": OK if age is not None and age <= limit else FAIL,
        "last_completed": completed.isoformat() if completed else None,
        "age_seconds": int(age.total_seconds()) if age is not None else None,
        "limit_seconds": int(limit.total_seconds()),
    }


SERVING = {"database": database, "attachment_storage": attachment_storage}
ALL = {**SERVING, "outbox": outbox, "reminders": reminders}


def run(checks):
    """Every check of `checks` (name: function), each on its own: one failing stops none."""
    results = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as error:  # noqa: BLE001  (a failing dependency is the answer, not a crash)
            logger.warning("Health check %s failed (%s).", name, type(error).__name__)
            results[name] = {"status": FAIL, "error": type(error).__name__}
    return results


def healthy(results):
    return all(result["status"] == OK for result in results.values())
