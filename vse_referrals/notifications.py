"""E-mails to contact points about their cases, the reminders cron sends, notices about their own
account (accounts.py) and about designations of points of contact (designations.py).

Every e-mail says only what the VSE office may know too: the reference, the organisations, the
priority, the deadline and a link. It never carries personal data, so a mailbox, a mail server or
a log that sees it learns nothing about the victim. E-mails wait in the `Notification` outbox and
are sent by a task after the transition has committed: a mail outage neither blocks nor loses
anything (`send_referral_reminders` retries what is still unsent).

The outbox row is the unit of delivery, whoever sends it (the task on any number of workers, or
the cron's retry): `deliver` claims the row, sends, then marks it sent, in that order. The claim is
one conditional UPDATE, so of two workers racing for a row exactly one wins; a claim lasts
VSE_REFERRALS_NOTIFICATION_LEASE_MINUTES, after which a worker that died mid-send is presumed dead
and the row is sent by the next run. Delivery is therefore at least once: a worker that dies after
the mail server accepted the message but before its UPDATE marking the row sent (or a mail server
that fails after accepting it) leaves it to be sent again once the lease has expired. Nothing runs
between the send and the mark, so that window is one database round trip.
"""

import logging
import os
import socket
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import get_random_string
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from . import conf
from .batches import in_batches
from .models import ContactPoint, Notification, ReferralCase

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10

# What happened, from the recipient's point of view; organisation names are not personal data.
HEADLINES = {
    "sent": _("New referral from %(sender)s"),
    "received": _("Opened by %(receiver)s"),
    "accepted": _("Accepted by %(receiver)s"),
    "declined": _("Declined by %(receiver)s"),
    "started": _("Support started by %(receiver)s"),
    "information-requested": _("%(receiver)s requests information"),
    "information-given": _("%(sender)s answered your request for information"),
    "victim-contacted": _("%(receiver)s has contacted the victim"),
    "completed": _("Closed by %(receiver)s"),
    "failed": _("Closed by %(receiver)s without success"),
    "withdrawn": _("Withdrawn by %(sender)s"),
    "consent-withdrawn": _("Closed: the victim withdrew consent"),
    "expired": _("Expired without an answer"),
    "message": _("New message"),
    "attachment": _("New file"),
    "reminder-50": _("Reminder: half of the time has passed"),
    "reminder-90": _("Reminder: the deadline is close"),
    "overdue": _("Deadline passed"),
}


def notify(case, organisations, kind):
    """Queue an e-mail about `case` to every active contact point of `organisations`."""
    from .permissions import active_contact_points

    return [
        queue(user, kind, case=case)
        for organisation in organisations
        for user in active_contact_points(organisation)
        if user.email
    ]


def queue(recipient, kind, *, case=None, address="", details=None):
    """Put one e-mail in the outbox; it is enqueued once the current transaction has committed.

    `robust`: a task backend that fails to enqueue after the commit must not turn a committed
    transition into an error page; the row stays unsent and the cron's retry sends it.
    """
    notification = Notification.objects.create(
        case=case, recipient=recipient, kind=kind, address=address, details=details or {}
    )
    transaction.on_commit(lambda pk=notification.pk: deliver_notification.enqueue(pk), robust=True)
    return notification


@task()
def deliver_notification(notification_id):
    return deliver(notification_id)


def deliver(notification_id):
    """Claim, send, mark sent, in that order; True if this call sent the e-mail.

    Returns False without sending when the row is sent, given up or claimed by a live worker.
    """
    claimed_by = claim(notification_id)
    if claimed_by is None:
        return False
    notification = Notification.objects.select_related("recipient").get(pk=notification_id)
    if notification.case_id:
        # Metadata only: the e-mail carries no personal data, so none is read (or decrypted) to write it.
        notification.case = (
            ReferralCase.objects.metadata()
            .select_related("sending_organisation", "receiving_organisation")
            .get(pk=notification.case_id)
        )
    try:
        subject, body = render_notification(notification)
        address = notification.address or notification.recipient.email
        send_mail(subject, body, None, [address], fail_silently=False)
    except Exception as error:  # noqa: BLE001  (kept in the outbox and retried; never re-raised with an address)
        release(notification_id, claimed_by, error)
        return False
    mark_sent(notification_id)
    return True


def claim(notification_id):
    """Take the row for sending: the claim's token, or None if another may not take it now.

    One conditional UPDATE: the database applies concurrent updates of a row one after the other
    and re-checks the condition, so of two workers exactly one wins. The token (host, process and a
    random part) lets only the claim's holder release it; no state is kept in the process.
    """
    now = timezone.now()
    token = f"{socket.gethostname()[:32]}:{os.getpid()}:{get_random_string(12)}"
    won = _claimable(now).filter(pk=notification_id).update(claimed_at=now, claimed_by=token)
    return token if won else None


def mark_sent(notification_id):
    """The one statement after the send: the smaller this step, the smaller the window for a duplicate."""
    Notification.objects.filter(pk=notification_id).update(sent_at=timezone.now(), attempts=F("attempts") + 1)


def release(notification_id, claimed_by, error):
    """A send that failed: count the attempt and free the row at once for the next retry."""
    Notification.objects.filter(pk=notification_id, claimed_by=claimed_by).update(
        attempts=F("attempts") + 1, last_error=type(error).__name__[:100], claimed_at=None
    )
    logger.warning("Referral notification %s not sent (%s); it will be retried.", notification_id, type(error).__name__)


def lease():
    return timedelta(minutes=conf.get("NOTIFICATION_LEASE_MINUTES"))


def _still_to_send():
    return Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS)


def _claimable(now):
    """Still to send and not claimed, or claimed by a worker presumed dead (its lease expired)."""
    return _still_to_send().filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - lease()))


def retry_undelivered():
    """Send again what a mail outage held back, or a worker that died left claimed past its lease;
    returns how many were sent."""
    # In batches by primary key (the order they were queued in), not one list of the whole
    # backlog: after an outage the backlog grows with the network.
    waiting = _claimable(timezone.now()).values_list("pk", flat=True)
    return sum(deliver(pk) for pk in in_batches(waiting))


def render_notification(notification):
    if notification.kind in DESIGNATION_HEADLINES:
        return render_designation_notice(notification)
    if notification.case is None:
        return render_account_notice(notification)
    case = notification.case
    clock, deadline = case.active_deadline()
    # Everything worded, the headline and the choices' labels included, in the recipient's language.
    with as_recipient_prefers(notification.recipient):
        context = {
            "kind": notification.kind,
            "headline": HEADLINES[notification.kind]
            % {
                "sender": case.sending_organisation,
                "receiver": case.receiving_organisation,
            },
            "reference": case.reference,
            "sender": case.sending_organisation,
            "receiver": case.receiving_organisation,
            "priority": case.get_priority_display(),
            "status": case.get_status_display(),
            "clock": clock,
            "deadline": deadline,
            "url": absolute_case_url(case),
            "recipient_name": notification.recipient.get_full_name() or notification.recipient.get_username(),
        }
        subject = render_to_string("vse_referrals/emails/notification_subject.txt", context).strip()
        body = render_to_string("vse_referrals/emails/notification.txt", context)
    return " ".join(subject.split()), body


ACCOUNT_HEADLINES = {
    "password-changed": _("Your password was changed"),
    "email-changed": _("Your e-mail address was changed"),
    "two-factor-reset": _("Your two-step verification was reset"),
}


def render_account_notice(notification):
    """A notice about the recipient's own account: what changed and when, never the new value."""
    context = {
        "headline": ACCOUNT_HEADLINES[notification.kind],
        "kind": notification.kind,
        "when": notification.created_at,
        "recipient_name": notification.recipient.get_full_name() or notification.recipient.get_username(),
        "username": notification.recipient.get_username(),
        "url": getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/") + reverse("wagtailadmin_home"),
    }
    with as_recipient_prefers(notification.recipient):
        subject = str(context["headline"])
        body = render_to_string("vse_referrals/emails/account_notice.txt", context)
    return subject, body


DESIGNATION_HEADLINES = {
    "designation-proposed": _("A point of contact of %(organisation)s awaits confirmation"),
    "designation-made": _("New point of contact of %(organisation)s"),
    "designation-confirmed": _("Point of contact of %(organisation)s confirmed"),
    "designation-changed": _("Designation changed at %(organisation)s"),
    "designation-ended": _("Designation ended at %(organisation)s"),
    "designation-removed": _("Designation removed at %(organisation)s"),
}


def render_designation_notice(notification):
    """Who designated whom for which member, the role and the dates (designations.notice_facts),
    and where to see the designations: never case data."""
    facts = notification.details
    url_name = (
        "vse_referrals_contactpoint_modeladmin_index" if facts["for_administrator"] else "vse_referrals:designations"
    )
    context = {
        **facts,
        "kind": notification.kind,
        "role": ContactPoint.Role(facts["role"]).label,
        "active_from": datetime.fromisoformat(facts["active_from"]),
        "active_until": datetime.fromisoformat(facts["active_until"]) if facts["active_until"] else None,
        "recipient_name": notification.recipient.get_full_name() or notification.recipient.get_username(),
        "url": getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/") + reverse(url_name),
    }
    with as_recipient_prefers(notification.recipient):
        headline = DESIGNATION_HEADLINES[notification.kind] % {"organisation": facts["organisation"]}
        subject = context["headline"] = headline
        body = render_to_string("vse_referrals/emails/designation_notice.txt", context)
    return " ".join(subject.split()), body


def absolute_case_url(case):
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('vse_referrals:case', args=[case.pk])}"


@contextmanager
def as_recipient_prefers(user):
    """The recipient's language and time zone (their Wagtail account preferences, as the admin
    uses them), so that an e-mail's dates read as on their pages."""
    from wagtail.users.models import UserProfile

    profile = UserProfile.get_for_user(user)
    language = profile.get_preferred_language() or settings.LANGUAGE_CODE
    with translation.override(language), timezone.override(profile.get_current_time_zone()):
        yield
