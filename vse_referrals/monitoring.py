"""What the health endpoint reads about the background work: the e-mail outbox's backlog and
when the scheduled jobs last completed. Numbers and times only, never a row's content.
"""

from django.db.models import Count, Min, Q
from django.utils import timezone

from .models import JobRun, Notification
from .notifications import MAX_ATTEMPTS

REMINDERS = "send_referral_reminders"


def record_run(job):
    """Note that `job` has just completed (one row per job, updated in place)."""
    JobRun.objects.update_or_create(job=job, defaults={"completed_at": timezone.now()})


def last_run(job):
    """When `job` last completed, or None if it never has."""
    return JobRun.objects.filter(job=job).values_list("completed_at", flat=True).first()


def outbox_backlog():
    """(e-mails still to send, when the oldest of them was created or None, e-mails given up after
    `notifications.MAX_ATTEMPTS` failed sends), in one query.

    The oldest grows when no worker runs, the mail server refuses or the cron stops; each e-mail
    given up needs a look at its `last_error` (a class name, never an address).
    """
    to_send = Q(attempts__lt=MAX_ATTEMPTS)
    totals = Notification.objects.filter(sent_at__isnull=True).aggregate(
        unsent=Count("pk", filter=to_send),
        oldest=Min("created_at", filter=to_send),
        given_up=Count("pk", filter=~to_send),
    )
    return totals["unsent"], totals["oldest"], totals["given_up"]
