"""Peak Python memory of the cron commands (reminders, purge, key rotation) on the network as it is.

Each command runs through `call_command`, in this process, under `tracemalloc`: its peak is the
most memory Python held at once for what the command allocated (the interpreter, Django and the
loaded code are there before it starts and do not count). It runs as cron runs it, committing
each of its transactions, on a throwaway copy of the network (`benchmarks.database.SCRATCH`, made
anew for each command), so the network stays as built. Not inside one rolled-back transaction:
there every `on_commit` callback of the run (the e-mails' enqueueing, the purge's file deletions)
waits for an outer commit that never comes, and the run's memory grows with its work for that
reason alone.

What each run has to do, at any size:
- reminders: every open case's clocks (the first run on a network without alerts: reminders,
  overdue notices and expiries for all that are due);
- purge: `PURGE_DUE_SHARE` of all referrals made due (closed, their retention period passed);
- key rotation: every encrypted value of every row, to a new key put first.
"""

import gc
import io
import time
import tracemalloc
from contextlib import nullcontext

from cryptography.fernet import Fernet
from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction
from django.test import override_settings

from vse_referrals.models import CLOSED_STATUSES, ReferralCase

from .database import SCRATCH, active

PURGE_DUE_SHARE = 0.01
# Run once, unmeasured and rolled back, before being measured: the first run in a process fills
# caches that stay (templates, translations), which would count against the smaller size only.
# (Not the key rotation: it has no such first-run cost and takes the longest.)
WARM_UP = ("send_referral_reminders", "purge_referral_data")
COMMANDS = ("send_referral_reminders", "purge_referral_data", "rotate_referral_keys")  # report.MEMORY_COMMANDS


def measure(databases, alias):
    """{command: {"peak": bytes, "seconds": s, "error": str}} on the network of database `alias`
    (`databases`: the benchmark's `database.BenchDatabases`)."""
    with active(alias):
        for command in WARM_UP:
            _rolled_back(command)
    results = {}
    for command in COMMANDS:
        connections.close_all()
        databases.scratch_copy(alias)
        with active(SCRATCH):
            results[command] = _prepared(command, _peak_of_command)
            connections.close_all()
    return results


def _peak_of_command(command):
    return peak_of(lambda: call_command(command, stdout=io.StringIO()))


def _rolled_back(command):
    """The command, unmeasured, with the network prepared for it, everything undone afterwards."""
    with transaction.atomic():
        _prepared(command, call_command, stdout=io.StringIO())
        transaction.set_rollback(True)


def _prepared(command, call, *args, **kwargs):
    prepare = PREPARE.get(command)
    with prepare() if prepare else nullcontext():
        return call(command, *args, **kwargs)


def peak_of(call):
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    outcome = {"error": ""}
    try:
        call()
    except Exception as error:  # report it, measure the rest
        outcome["error"] = f"{type(error).__name__}: {error}"[:200]
    finally:
        outcome["seconds"] = time.perf_counter() - start
        outcome["peak"] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return outcome


class _purge_due:
    """Make PURGE_DUE_SHARE of the network due for purging (bulk-made closed cases carry a purge
    date in the past and a `purged_at`: it is cleared on as many)."""

    def __enter__(self):
        wanted = round(ReferralCase.objects.count() * PURGE_DUE_SHARE)
        ids = ReferralCase.objects.filter(status__in=CLOSED_STATUSES, purged_at__isnull=False).values_list(
            "pk", flat=True
        )[:wanted]
        ReferralCase.objects.filter(pk__in=list(ids)).update(purged_at=None)

    def __exit__(self, *exc):
        return False


def _new_key_first():
    """A new key first, the old ones after it: what an administrator does before rotating."""
    return override_settings(
        VSE_REFERRALS_ENCRYPTION_KEYS=[Fernet.generate_key().decode(), *settings.VSE_REFERRALS_ENCRYPTION_KEYS]
    )


PREPARE = {"purge_referral_data": _purge_due, "rotate_referral_keys": _new_key_first}
