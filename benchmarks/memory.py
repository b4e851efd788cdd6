"""Peak Python memory of the cron commands (reminders, purge, key rotation) on the network as it is.

Each command runs through `call_command`, in this process, under `tracemalloc`: its peak is the
most memory Python held at once for what the command allocated (the interpreter, Django and the
loaded code are there before it starts and do not count). Everything it writes is rolled back,
as the reminders probe of the page measurements is, so the network stays as built.

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
from django.db import transaction
from django.test import override_settings

from vse_referrals.models import CLOSED_STATUSES, ReferralCase

PURGE_DUE_SHARE = 0.01
# Run once, unmeasured and rolled back, before being measured: the first run in a process fills
# caches that stay (templates, translations), which would count against the smaller size only.
# (Not the key rotation: it has no such first-run cost and takes the longest.)
WARM_UP = ("send_referral_reminders", "purge_referral_data")
COMMANDS = ("send_referral_reminders", "purge_referral_data", "rotate_referral_keys")  # report.MEMORY_COMMANDS


def measure():
    """{command: {"peak": bytes, "seconds": s, "error": str}} on the default connection's network."""
    measured = {command: lambda command=command: peak_of(lambda: call_command(command, stdout=io.StringIO()))
                for command in COMMANDS}  # fmt: skip
    for command in WARM_UP:
        _rolled_back(command, measured[command])
    return {command: _rolled_back(command, measured[command]) for command in COMMANDS}


def _rolled_back(command, call):
    """`call()` with the network prepared for `command`, everything undone afterwards."""
    with transaction.atomic():
        prepare = PREPARE.get(command)
        with prepare() if prepare else nullcontext():
            outcome = call()
        transaction.set_rollback(True)
    return outcome


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
