"""The columns of a list of cases, shared by the inbox listing and the dashboard panel.

Every column reads triage metadata only (`ReferralCaseQuerySet.metadata()` with the organisations
joined), so rendering a row costs no query. Where a cell depends on who is looking (the partner
is the other side of the case), it asks the table's actor.
"""

from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from wagtail.admin.ui.tables import Column, Table

from .models import Side, Status
from .templatetags.vse_referrals_tags import badges, deadline, words


def case_url(case):
    """A draft opens in its form; any other case on its page."""
    return reverse("vse_referrals:edit" if case.status == Status.DRAFT else "vse_referrals:case", args=[case.pk])


class CaseColumn(Column):
    """A cell drawn in Python (see `templatetags.vse_referrals_tags`: a list draws these on every row)."""

    def cell(self, case, table):
        raise NotImplementedError

    def render_cell_html(self, instance, parent_context):
        return self.cell(instance, parent_context["table"])


class ReferenceColumn(CaseColumn):
    def cell(self, case, table):
        return format_html(
            '<td class="title"><div class="title-wrapper"><a href="{}"><strong class="vse-reference">{}</strong>'
            "</a></div></td>",
            case_url(case),
            case.reference,
        )


class PartnerColumn(CaseColumn):
    """The other side: "To X (FR)" for a case the actor sent, "From Y (SE)" for one they received."""

    def cell(self, case, table):
        said = words(translation.get_language())
        if table.actor.side(case) == Side.SENDER:
            partner = case.receiving_organisation
            if partner is None:
                return format_html("<td>{} {}</td>", said["to"], said["not chosen"])
            return format_html("<td>{} {} ({})</td>", said["to"], partner, partner.country.code)
        partner = case.sending_organisation
        return format_html("<td>{} {} ({})</td>", said["from"], partner, partner.country.code)


class BadgesColumn(CaseColumn):
    def cell(self, case, table):
        return format_html("<td>{}</td>", badges(case))


class DeadlineColumn(CaseColumn):
    def cell(self, case, table):
        return format_html("<td>{}</td>", deadline(case, table.now))


CASE_COLUMNS = [
    ReferenceColumn("reference", label=_("Reference")),
    PartnerColumn("partner", label=_("Partner")),
    BadgesColumn("status", label=_("Priority and status")),
    DeadlineColumn("deadline", label=_("Deadline")),
]


class CaseTable(Table):
    """A table of cases as `actor` sees them, overdue rows marked.

    Wagtail's table template renders a component per cell; this one draws the rows in one pass
    (`body_html`), which keeps a list's cost per row small."""

    template_name = "vse_referrals/tables/case_table.html"

    def __init__(self, columns, data, *, actor, **kwargs):
        super().__init__(columns, data, **kwargs)
        self.actor = actor
        self.now = timezone.now()  # one moment for every row's deadline

    def body_html(self):
        columns = list(self.columns.values())
        return format_html_join(
            "",
            "<tr{}>{}</tr>",
            (
                (
                    format_html(' class="{}"', "vse-row--overdue") if case.is_overdue else "",
                    mark_safe("".join(column.cell(case, self) for column in columns)),  # nosec B308 B703  # format_html output
                )
                for case in self.data
            ),
        )
