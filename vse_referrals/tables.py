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

from .dates import format_day, format_moment
from .models import Side, Status
from .templatetags.vse_referrals_tags import badges, deadline, words


def case_url(case):
    """A draft opens in its form; any other case on its page."""
    return reverse("vse_referrals:edit" if case.status == Status.DRAFT else "vse_referrals:case", args=[case.pk])


class CaseColumn(Column):
    """A cell drawn in Python (see `templatetags.vse_referrals_tags`: a list draws these on every row).

    Each cell carries its column's label: on a phone the rows stack and the label goes before the value."""

    def cell(self, case, table):
        raise NotImplementedError

    def td(self, content, classname=""):
        return format_html('<td class="{}" data-label="{}">{}</td>', classname, self.label, content)

    def render_cell_html(self, instance, parent_context):
        return self.cell(instance, parent_context["table"])


class ReferenceColumn(CaseColumn):
    def cell(self, case, table):
        return self.td(
            format_html(
                '<div class="title-wrapper"><a href="{}"><strong class="vse-reference">{}</strong></a></div>',
                case_url(case),
                case.reference,
            ),
            "title",
        )


class PartnerColumn(CaseColumn):
    """The other side: "To X, France" for a case the actor sent, "From Y, Sweden" for one they received."""

    def cell(self, case, table):
        said = words(translation.get_language())
        if table.actor.side(case) == Side.SENDER:
            partner = case.receiving_organisation
            if partner is None:
                return self.td(format_html("{} {}", said["to"], said["not chosen"]))
            return self.td(format_html("{} {}", said["to"], partner.name_with_country))
        return self.td(format_html("{} {}", said["from"], case.sending_organisation.name_with_country))


class BadgesColumn(CaseColumn):
    def cell(self, case, table):
        return self.td(badges(case))


class DeadlineColumn(CaseColumn):
    def cell(self, case, table):
        return self.td(deadline(case, table.now) or "—")


class ClosedColumn(CaseColumn):
    def cell(self, case, table):
        return self.td(
            format_html('<time datetime="{}">{}</time>', case.closed_at.isoformat(), format_moment(case.closed_at))
        )


class OutcomeColumn(CaseColumn):
    """The outcome, where the actor may know it: the sender only with the victim's consent to report back."""

    def cell(self, case, table):
        if not case.outcome or (table.actor.side(case) == Side.SENDER and not case.consent_to_report_back):
            return self.td("—")
        return self.td(case.get_outcome_display())


class PersonalDataColumn(CaseColumn):
    """Whether the retention purge (`retention.py`) has removed the case's personal data yet."""

    def cell(self, case, table):
        if case.purged_at:
            return self.td(
                format_html(
                    '<span class="vse-purged">{}</span>', _("Purged on %(day)s") % {"day": format_day(case.purged_at)}
                )
            )
        if case.purge_after:
            return self.td(_("Kept until %(day)s") % {"day": format_day(case.purge_after)})
        return self.td(_("Kept"))


# The columns that tell rows apart come first: on a narrow screen they are what shows first.
CASE_COLUMNS = [
    ReferenceColumn("reference", label=_("Reference")),
    BadgesColumn("status", label=_("Priority and status")),
    DeadlineColumn("deadline", label=_("Deadline")),
    PartnerColumn("partner", label=_("Partner")),
]
# Closed cases run against no deadline: when and how they closed, and whether their data is kept.
CLOSED_CASE_COLUMNS = [
    ReferenceColumn("reference", label=_("Reference")),
    BadgesColumn("status", label=_("Priority and status")),
    ClosedColumn("closed", label=_("Closed")),
    OutcomeColumn("outcome", label=_("Outcome")),
    PersonalDataColumn("personal_data", label=_("Personal data")),
    PartnerColumn("partner", label=_("Partner")),
]
# What the closed list loads beyond the metadata of every list: plain columns, nothing decrypted.
CLOSED_CASE_FIELDS = ("outcome", "consent_to_report_back", "purge_after", "purged_at")


class CaseTable(Table):
    """A table of cases as `actor` sees them, overdue rows marked.

    Wagtail's table template renders a component per cell; this one draws the rows in one pass
    (`body_html`), which keeps a list's cost per row small."""

    template_name = "vse_referrals/tables/case_table.html"
    classname = "listing vse-case-table vse-stacked"  # stacked rows on a phone (referrals.css)

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
