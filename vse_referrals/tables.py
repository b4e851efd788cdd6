"""The columns of a list of cases, shared by the inbox listing and the dashboard panel.

Every column reads triage metadata only (`ReferralCaseQuerySet.metadata()` with the organisations
joined), so rendering a row costs no query. Where a cell depends on who is looking (the partner
is the other side of the case), it asks the table's actor.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, Table, TitleColumn

from .models import Side, Status
from .templatetags.vse_referrals_tags import deadline


def case_url(case):
    """A draft opens in its form; any other case on its page."""
    return reverse("vse_referrals:edit" if case.status == Status.DRAFT else "vse_referrals:case", args=[case.pk])


class PartnerColumn(Column):
    """The other side: "To X (FR)" for a case the actor sent, "From Y (SE)" for one they received."""

    cell_template_name = "vse_referrals/tables/partner_cell.html"

    def get_cell_context_data(self, instance, parent_context):
        context = super().get_cell_context_data(instance, parent_context)
        context["is_sender"] = is_sender = parent_context["table"].actor.side(instance) == Side.SENDER
        context["partner"] = instance.receiving_organisation if is_sender else instance.sending_organisation
        return context


class TemplateCellColumn(Column):
    """A cell drawn by one of the case page's own templates, in a `<td>`.

    One template per cell, not a cell template including another: the dashboard draws up to
    sixteen rows of these on every visit."""

    def get_cell_context_data(self, instance, parent_context):
        return {"case": instance}

    def render_cell_html(self, instance, parent_context):
        return format_html(
            "<td>{}</td>", self.cell_template.render(self.get_cell_context_data(instance, parent_context))
        )


class BadgesColumn(TemplateCellColumn):
    cell_template_name = "vse_referrals/includes/badges.html"


class DeadlineColumn(TemplateCellColumn):
    cell_template_name = "vse_referrals/includes/deadline.html"

    def get_cell_context_data(self, instance, parent_context):
        return deadline(instance, parent_context["table"].now)


CASE_COLUMNS = [
    TitleColumn("reference", label=_("Reference"), get_url=case_url, classname="vse-reference"),
    PartnerColumn("partner", label=_("Partner")),
    BadgesColumn("status", label=_("Priority and status")),
    DeadlineColumn("deadline", label=_("Deadline")),
]


class CaseTable(Table):
    """A table of cases as `actor` sees them, overdue rows marked."""

    def __init__(self, columns, data, *, actor, **kwargs):
        super().__init__(columns, data, **kwargs)
        self.actor = actor
        self.now = timezone.now()  # one moment for every row's deadline

    def get_row_classname(self, instance):
        return "vse-row--overdue" if instance.is_overdue else ""
