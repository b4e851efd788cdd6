"""After the load: what the server acknowledged is in the database once, and each e-mail went once.

- Messages and files: each one the server acknowledged (locust's record) is stored exactly once
  on its case (found by the token it carries: message bodies and file names are encrypted, so
  they are decrypted here, for the cases of the run only).
- Transitions: on every case of the run, no one-time step (sent, opened, accepted...) is in the
  timeline twice, and each raced referral was accepted exactly once.
- Notifications: every outbox row is marked sent, and the e-mails the worker wrote (Django's
  file-based backend) go to the same recipients as the outbox rows, as many times: none lost,
  none sent twice.
"""

import email
from collections import Counter
from pathlib import Path

from django.db.models import Count

from vse_referrals.models import CaseAttachment, CaseEvent, CaseMessage, EventKind, Notification

# Steps a case takes at most once (messages, files, views and reminders repeat).
ONCE = [
    EventKind.CREATED,
    EventKind.SENT,
    EventKind.RECEIVED,
    EventKind.ACCEPTED,
    EventKind.DECLINED,
    EventKind.STARTED,
    EventKind.COMPLETED,
    EventKind.FAILED,
    EventKind.WITHDRAWN,
    EventKind.EXPIRED,
    EventKind.PURGED,
]
SEPARATOR = "\n" + "-" * 79 + "\n"


def run(plan, record, mail_dir):
    open_cases = [case for pair in plan["pairs"] for case in pair["open_cases"]]
    race_cases = [case for pair in plan["pairs"] for case in pair["race_cases"]]
    results = {}
    results["messages"] = _once(
        [entry["token"] for entry in record["messages"]],
        [body for body in CaseMessage.objects.filter(case_id__in=open_cases).values_list("body", flat=True)],
    )
    results["files"] = _once(
        [entry["name"] for entry in record["files"]],
        list(CaseAttachment.objects.filter(case_id__in=open_cases).values_list("original_name", flat=True)),
    )
    results["transitions"] = _transitions(open_cases + race_cases, {entry["case"] for entry in record["accepts"]})
    results["notifications"] = _notifications(Path(mail_dir))
    return results


def _once(acknowledged, stored_texts):
    """How many acknowledged tokens are stored not at all (lost) and more than once (duplicated)."""
    found = Counter()
    tokens = set(acknowledged)
    for text in stored_texts:
        for token in tokens:
            if token in text:
                found[token] += 1
    return {
        "acknowledged": len(acknowledged),
        "lost": sum(1 for token in acknowledged if found[token] == 0),
        "duplicated": sum(1 for token in tokens if found[token] > 1) + len(acknowledged) - len(tokens),
    }


def _transitions(cases, raced):
    repeated = (
        CaseEvent.objects.filter(case_id__in=cases, kind__in=ONCE)
        .values("case_id", "kind")
        .annotate(times=Count("id"))
        .filter(times__gt=1)
        .count()
    )
    accepted = Counter(
        str(case)
        for case in CaseEvent.objects.filter(case_id__in=raced, kind=EventKind.ACCEPTED).values_list(
            "case_id", flat=True
        )
    )
    return {
        "raced": len(raced),
        "repeated": repeated,
        "raced_not_accepted": sum(1 for case in raced if accepted[case] == 0),
        "raced_accepted_twice": sum(1 for case in raced if accepted[case] > 1),
    }


def _notifications(mail_dir):
    expected = Counter()
    for notification in Notification.objects.select_related("recipient"):
        expected[(notification.address or notification.recipient.email).lower()] += 1
    sent = Counter()
    for path in mail_dir.glob("*.log"):
        for message in path.read_text(encoding="utf-8", errors="replace").split(SEPARATOR):
            if message.strip():
                for address in email.message_from_string(message.strip()).get_all("To", []):
                    sent[address.strip().lower()] += 1
    return {
        "outbox": sum(expected.values()),
        "unsent_rows": Notification.objects.filter(sent_at__isnull=True).count(),
        "emails": sum(sent.values()),
        "lost": sum((expected - sent).values()),
        "duplicated": sum((sent - expected).values()),
    }
