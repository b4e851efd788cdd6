"""The referral statistics report (Reports > Referral statistics), with an export of each table.

Network administrators see the whole network; an active point of contact sees their own
organisation beside the network's figures, and among the members' answer times only their own
row and the network's. Anyone else is refused. Figures are metadata only (`statistics.figures`).
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.reports import ReportView

from .. import permissions
from ..designations import is_network_administrator
from ..statistics import charts
from ..statistics.figures import Report, network_scope, organisation_scope
from ..statistics.periods import PeriodForm

URL_NAME = "vse_referrals_statistics"
# The chart of each table: which column(s) it draws (the monthly tables: one chart per column).
CHARTS = {
    "monthly": "columns",
    "flows": "heatmap",
    "members": ("answer_median", "contact_median"),
}


def report_audience(request):
    """Whose figures `request`'s user sees: "network", their organisation, or None (refused)."""
    if is_network_administrator(request.user):
        return "network"
    return permissions.actor_for(request).organisation


class ReferralStatisticsView(ReportView):
    page_title = _("Referral statistics")
    header_icon = "table"
    index_url_name = URL_NAME
    template_name = "vse_referrals/statistics/index.html"
    paginate_by = None

    def dispatch(self, request, *args, **kwargs):
        self.audience = report_audience(request)
        if self.audience is None:
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_queryset(self):
        return []

    def get(self, request, *args, **kwargs):
        self.object_list = []
        form = PeriodForm(request.GET)
        report = None
        if not form.is_bound or form.is_valid():
            organisation = None if self.audience == "network" else self.audience
            scopes = [network_scope()] if organisation is None else [organisation_scope(organisation), network_scope()]
            report = Report(form.get_period(), scopes, member=organisation)
            self.tables = report.tables()
            if self.is_export:
                return self.export(report, request.GET.get("table"))
        elif self.is_export:
            raise Http404
        context = self.get_context_data(form=form, report=report)
        if report is not None:
            context["figures"] = [self.figure(table, report) for table in self.tables]
        return self.render_to_response(context)

    def render_to_response(self, context, **response_kwargs):
        # Exports are answered in `get`: skip ReportView's, which exports the listing's rows.
        return super(ReportView, self).render_to_response(context, **response_kwargs)

    def figure(self, table, report):
        kind = CHARTS.get(table.key.removesuffix("-organisation"), "bars")
        threshold = report.threshold
        if kind == "columns":
            drawn = [(key, label, charts.columns(table, key, threshold)) for key, label in table.columns]
        elif kind == "heatmap":
            drawn = [("matrix", "", charts.heatmap(table, threshold))] if table.rows else []
        elif kind == "bars":
            drawn = [("bars", "", charts.bars(table, [key for key, _label in table.columns], threshold))]
        else:
            drawn = [(key, dict(table.columns)[key], charts.bars(table, [key], threshold)) for key in kind]
        chart_list = [
            {"id": f"chart-{table.key}-{key}", "label": label, "chart": chart}
            for key, label, chart in drawn
            if chart.items
        ]
        rows = [
            {"label": row.label, "cells": [row.cells[key].text(threshold) for key, _label in table.columns]}
            for row in table.rows
        ]
        total = None
        if table.total_row:
            total = {
                "label": table.total_row.label,
                "cells": [table.total_row.cells[key].text(threshold) for key, _label in table.columns],
            }
        return {"table": table, "charts": chart_list, "rows": rows, "total": total, "series": table.columns}

    # Exports ---------------------------------------------------------------------------------

    def export(self, report, key):
        table = next((table for table in self.tables if table.key == key), None)
        if table is None:
            raise Http404
        self.export_table, self.threshold = table, report.threshold
        self.list_export = ["row", *(column for column, _label in table.columns)]
        self.export_headings = {"row": table.row_heading, **dict(table.columns)}
        self.export_filename = f"referral-statistics-{table.key}-{report.period.slug}"
        return self.as_spreadsheet(table.all_rows(), self.request.GET["export"])

    def get_page_title(self):
        table = getattr(self, "export_table", None)
        return table.title if table is not None else super().get_page_title()

    def to_row_dict(self, item):
        return {
            "row": item.label,
            **{key: item.cells[key].export_value(self.threshold) for key in self.list_export[1:]},
        }


class ReferralStatisticsMenuItem(MenuItem):
    def is_shown(self, request):
        return report_audience(request) is not None
