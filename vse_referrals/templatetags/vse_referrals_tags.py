import functools

from django import template
from django.utils import dateformat, timezone, translation
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext

from ..dates import format_day, format_moment
from ..models import Priority, ReferralCase, Status
from ..sanitize import safe_html

register = template.Library()


@register.filter
def moment(value):
    """A date and time as every page shows it: "1 Dec 2026, 06:59 CET" (see `dates`)."""
    return format_moment(value)


@register.filter
def day(value):
    """A date as every page shows it: "1 Dec 2026" (see `dates`)."""
    return format_day(value)


@register.filter
def sanitized(html):
    """User rich text, through the bleach allow-list, on every render."""
    return safe_html(html)


# The deadline and the badges are drawn in Python, not by templates: lists draw them on every row
# (the dashboard up to sixteen rows on each visit), where a template per cell cost more than the
# rest of the page. The case header draws them with the same tags.


@functools.lru_cache
def words(language):
    """The words of the badges, deadlines and partners in `language`, translated once: a list draws
    them on every row, and each translation looks through every catalogue of the site."""
    with translation.override(language):
        return {
            "status": {code: str(label) for code, label in Status.choices},
            "priority": {code: str(label) for code, label in Priority.choices},
            "respond": gettext("Answer wanted by"),
            "contact": gettext("Victim to be contacted by"),
            "overdue": gettext("Overdue"),
            "ago": gettext("%(distance)s ago"),
            "in": gettext("in %(distance)s"),
            "to": gettext("To"),
            "from": gettext("From"),
            "not chosen": gettext("(not chosen)"),
        }


@register.simple_tag
def deadline(case: ReferralCase, now=None):
    """The deadline the case runs against now, how far, and whether it has passed."""
    clock, when = case.active_deadline()
    if not when:
        return ""
    now = now or timezone.now()
    overdue = when < now
    local = timezone.localtime(when)
    said = words(translation.get_language())
    label = said[clock]
    if overdue:
        distance = said["ago"] % {"distance": timesince(when, now)}
        return format_html(
            '<span class="vse-deadline vse-deadline--overdue"><strong>{}</strong> · {} '
            '<time datetime="{}">{}</time> ({})</span>',
            said["overdue"],
            label,
            dateformat.format(local, "c"),
            format_moment(local),
            distance,
        )
    distance = said["in"] % {"distance": timeuntil(when, now)}
    return format_html(
        '<span class="vse-deadline">{} <time datetime="{}">{}</time> ({})</span>',
        label,
        dateformat.format(local, "c"),
        format_moment(local),
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
    said = words(translation.get_language())
    return format_html(
        '<span class="vse-priority vse-priority--{}">{}</span> <span class="vse-status {}">{}</span>',
        case.priority,
        said["priority"][case.priority],
        STATUS_STYLES.get(case.status, ""),
        said["status"][case.status],
    )


@register.simple_tag
def case_sections(case):
    from ..presentation import case_sections as sections

    return sections(case)


@register.filter
def in_minutes(duration):
    """A timedelta as whole minutes, rounded up (the sign-in lockout page's wait)."""
    return -(-int(duration.total_seconds()) // 60)
