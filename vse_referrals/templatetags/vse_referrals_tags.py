from django import template
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext

from ..models import ReferralCase
from ..sanitize import safe_html

register = template.Library()


@register.filter
def sanitized(html):
    """User rich text, through the bleach allow-list, on every render."""
    return safe_html(html)


@register.inclusion_tag("vse_referrals/includes/deadline.html")
def deadline(case: ReferralCase, now=None):
    """The deadline the case runs against now, how far, and whether it has passed."""
    clock, when = case.active_deadline()
    if not when:
        return {"when": None}
    now = now or timezone.now()
    overdue = when < now
    return {
        "when": when,
        "clock_label": gettext("Answer wanted by") if clock == "respond" else gettext("Victim to be contacted by"),
        "overdue": overdue,
        "distance": timesince(when, now) if overdue else timeuntil(when, now),
    }


STATUS_STYLES = {
    "draft": "vse-status--draft",
    "requested": "vse-status--new",
    "received": "vse-status--new",
    "accepted": "vse-status--ok",
    "in-progress": "vse-status--ok",
    "on-hold": "vse-status--wait",
    "rejected": "vse-status--closed",
    "cancelled": "vse-status--closed",
    "completed": "vse-status--done",
    "failed": "vse-status--closed",
}


@register.simple_tag
def status_class(case):
    return STATUS_STYLES.get(case.status, "")


@register.simple_tag
def case_sections(case):
    from ..presentation import case_sections as sections

    return sections(case)


@register.filter
def in_minutes(duration):
    """A timedelta as whole minutes, rounded up (the sign-in lockout page's wait)."""
    return -(-int(duration.total_seconds()) // 60)
