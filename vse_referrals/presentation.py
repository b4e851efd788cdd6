"""What a case shows, section by section, in the order of the referral form.

One function for the case page and the preview, so the sender previews exactly what the receiver
will see. Values are plain text (templates escape them); empty answers are left out.
"""

from django.db import models
from django.template.defaultfilters import yesno
from django.utils.translation import gettext

from .dates import format_day
from .forms import LANGUAGE_NOT_SUPPORTED, LANGUAGE_SUPPORTED, REFERRAL_SECTIONS

# Shown in the case header instead of the sections.
HEADER_FIELDS = {"receiving_organisation", "priority", "respond_by", "contact_by"}
CONTACT_FIELDS = {"phone", "email", "best_times", "safe_to_call", "safe_to_leave_message"}
# Yes/no answers that matter either way; other flags are shown only when they are set.
ALWAYS_ANSWERED = {
    "consent_to_share",
    "consent_to_contact",
    "consent_to_report_back",
    "safe_to_call",
    "safe_to_leave_message",
    "interpreter_needed",
}


def case_sections(case):
    sections = []
    for title, names in REFERRAL_SECTIONS:
        rows = []
        for name in names:
            if name in HEADER_FIELDS or (name in CONTACT_FIELDS and not case.consent_to_contact):
                continue
            value = display_value(case, name)
            if value not in ("", None, []):
                rows.append((case._meta.get_field(name).verbose_name, value))
        if rows:
            sections.append({"title": title, "rows": rows, "notice": _notice(case, names)})
    return sections


def _notice(case, names):
    if "phone" in names and not case.consent_to_contact:
        return gettext("The victim has not agreed to be contacted directly: contact them through %(organisation)s.") % {
            "organisation": case.sending_organisation.name
        }
    return ""


def display_value(case, name):
    field = case._meta.get_field(name)
    value = getattr(case, name)
    if name == "support_needed":
        return ", ".join(case.get_support_needed_display())
    if name == "contact_channels":
        return ", ".join(case.get_contact_channels_display())
    if isinstance(field, models.ManyToManyField):
        return ", ".join(str(item) for item in value.all())
    if isinstance(field, models.BooleanField):
        if field.null:  # a question the sender may leave unanswered: None is "not stated", never "no"
            return yesno(value, gettext("Yes,No,Not stated"))
        return yesno(value, gettext("Yes,No")) if value or name in ALWAYS_ANSWERED else ""
    if getattr(field, "choices", None):
        return getattr(case, f"get_{name}_display")() if value else ""
    if name.endswith("country"):
        return value.name if value else ""
    if isinstance(field, models.DateField) and value:
        return format_day(value)
    return value or ""


def language_support(case):
    """(language, supported, note) for each language the victim speaks: whether the receiving
    member works in it (its `Organisation.languages`, also shown in the directory). The form's
    script says the same live, with the same sentences (static/vse_referrals/js/referral-form.js)."""
    receiver = case.receiving_organisation
    if receiver is None:
        return []
    supported = {language.pk for language in receiver.languages.all()}
    rows = []
    for language in case.languages.all():
        note = LANGUAGE_SUPPORTED if language.pk in supported else LANGUAGE_NOT_SUPPORTED
        rows.append((language, language.pk in supported, note % {"organisation": receiver}))
    return rows
