"""E-mails to contact points about their cases, the reminders cron sends, notices about their own
account (accounts.py) and about designations of points of contact (designations.py).

Every e-mail says only what the VSE office may know too: the reference, the organisations, the
priority, the deadline and a link. It never carries personal data, so a mailbox, a mail server or
a log that sees it learns nothing about the victim. E-mails wait in the `Notification` outbox and
are sent by a task after the transition has committed: a mail outage neither blocks nor loses
anything (`send_referral_reminders` retries what is still unsent).
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from .batches import in_batches
from .models import ContactPoint, Notification

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
    """Put one e-mail in the outbox; it is sent once the current transaction has committed."""
    notification = Notification.objects.create(
        case=case, recipient=recipient, kind=kind, address=address, details=details or {}
    )
    transaction.on_commit(lambda pk=notification.pk: deliver_notification.enqueue(pk))
    return notification


@task()
def deliver_notification(notification_id):
    notification = (
        Notification.objects.select_related("case__sending_organisation", "case__receiving_organisation", "recipient")
        .filter(pk=notification_id, sent_at__isnull=True)
        .first()
    )
    if notification:
        deliver(notification)


def deliver(notification):
    try:
        subject, body = render_notification(notification)
        address = notification.address or notification.recipient.email
        send_mail(subject, body, None, [address], fail_silently=False)
    except Exception as error:  # noqa: BLE001  (kept in the outbox and retried; never re-raised with an address)
        Notification.objects.filter(pk=notification.pk).update(
            attempts=notification.attempts + 1, last_error=type(error).__name__[:100]
        )
        logger.warning(
            "Referral notification %s not sent (%s); it will be retried.", notification.pk, type(error).__name__
        )
        return False
    Notification.objects.filter(pk=notification.pk).update(sent_at=timezone.now(), attempts=notification.attempts + 1)
    return True


def retry_undelivered():
    """Send again what a mail outage held back; returns how many were sent."""
    pending = Notification.objects.filter(sent_at__isnull=True, attempts__lt=MAX_ATTEMPTS).select_related(
        "case__sending_organisation", "case__receiving_organisation", "recipient"
    )
    return sum(deliver(notification) for notification in in_batches(pending))


def render_notification(notification):
    if notification.kind in DESIGNATION_HEADLINES:
        return render_designation_notice(notification)
    if notification.case is None:
        return render_account_notice(notification)
    case = notification.case
    clock, deadline = case.active_deadline()
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
    with translation.override(_preferred_language(notification.recipient)):
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
    with translation.override(_preferred_language(notification.recipient)):
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
    with translation.override(_preferred_language(notification.recipient)):
        headline = DESIGNATION_HEADLINES[notification.kind] % {"organisation": facts["organisation"]}
        subject = context["headline"] = headline
        body = render_to_string("vse_referrals/emails/designation_notice.txt", context)
    return " ".join(subject.split()), body


def absolute_case_url(case):
    base = getattr(settings, "WAGTAILADMIN_BASE_URL", "").rstrip("/")
    return f"{base}{reverse('vse_referrals:case', args=[case.pk])}"


def _preferred_language(user):
    from wagtail.users.models import UserProfile

    return UserProfile.get_for_user(user).get_preferred_language() or settings.LANGUAGE_CODE
