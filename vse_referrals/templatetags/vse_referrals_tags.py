from django import template
from django.utils import dateformat, formats, timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext

from ..models import Priority, ReferralCase, Status
from ..sanitize import safe_html

register = template.Library()


@register.filter
def sanitized(html):
    """User rich text, through the bleach allow-list, on every render."""
    return safe_html(html)


# The deadline and the badges are drawn in Python, not by templates: lists draw them on every row
# (the dashboard up to sixteen rows on each visit), where a template per cell cost more than the
# rest of the page. The case header draws them with the same tags.


@register.simple_tag
def deadline(case: ReferralCase, now=None):
    """The deadline the case runs against now, how far, and whether it has passed."""
    clock, when = case.active_deadline()
    if not when:
        return ""
    now = now or timezone.now()
    overdue = when < now
    local = timezone.localtime(when)
    label = gettext("Answer wanted by") if clock == "respond" else gettext("Victim to be contacted by")
    if overdue:
        distance = gettext("%(distance)s ago") % {"distance": timesince(when, now)}
        return format_html(
            '<span class="vse-deadline vse-deadline--overdue"><strong>{}</strong> · {} '
            '<time datetime="{}">{}</time> ({})</span>',
            gettext("Overdue"),
            label,
            dateformat.format(local, "c"),
            formats.date_format(local, "DATETIME_FORMAT"),
            distance,
        )
    distance = gettext("in %(distance)s") % {"distance": timeuntil(when, now)}
    return format_html(
        '<span class="vse-deadline">{} <time datetime="{}">{}</time> ({})</span>',
        label,
        dateformat.format(local, "c"),
        formats.date_format(local, "DATETIME_FORMAT"),
        distance,
    )


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
def badges(case: ReferralCase):
    """The case's priority and status."""
    return format_html(
        '<span class="vse-priority vse-priority--{}">{}</span> <span class="vse-status {}">{}</span>',
        case.priority,
        # The enums' labels: get_FOO_display() translates every choice to look one up.
        Priority(case.priority).label,
        STATUS_STYLES.get(case.status, ""),
        Status(case.status).label,
    )


@register.simple_tag
def case_sections(case):
    from ..presentation import case_sections as sections

    return sections(case)


@register.filter
def in_minutes(duration):
    """A timedelta as whole minutes, rounded up (the sign-in lockout page's wait)."""
    return -(-int(duration.total_seconds()) // 60)
