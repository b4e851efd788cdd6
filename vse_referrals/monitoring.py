"""What the health endpoint reads about the background work: the e-mail outbox's backlog and
when the scheduled jobs last completed. Numbers and times only, never a row's content.
"""

from django.db.models import Count, Min
from django.utils import timezone

from .models import JobRun, Notification

REMINDERS = "send_referral_reminders"


def record_run(job):
    """Note that `job` has just completed (one row per job, updated in place)."""
    JobRun.objects.update_or_create(job=job, defaults={"completed_at": timezone.now()})


def last_run(job):
    """When `job` last completed, or None if it never has."""
    return JobRun.objects.filter(job=job).values_list("completed_at", flat=True).first()


def outbox_backlog():
    """(unsent e-mails, creation time of the oldest unsent one or None), in one query.

    The outbox is the unit of delivery (notifications.py); one that gave up after its attempts
    counts too: it is an e-mail nobody received.
    """
    totals = Notification.objects.filter(sent_at__isnull=True).aggregate(unsent=Count("pk"), oldest=Min("created_at"))
    return totals["unsent"], totals["oldest"]
