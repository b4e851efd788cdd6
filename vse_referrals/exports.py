"""Spreadsheet exports whose cells a spreadsheet shows and never runs.

Every export of the admin, this app's (organisations, referral overview, directory services) and
Wagtail's own (site history, aging and locked pages, workflows, redirects, form submissions),
is written by Wagtail's `SpreadsheetExportMixin`. Wagtail leaves formula injection to whoever
opens the file and offers no hook for a cell, so `install()` (run once from `AppConfig.ready`)
gives that mixin the two writers below: every heading and value of every CSV and XLSX export
goes through `spreadsheet_cell`. Every export starts at `SpreadsheetExportMixin.as_spreadsheet`,
which records it in the audit log (the export and its format, never its rows).
"""

import csv
import datetime

from django.utils.functional import Promise
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from wagtail.admin.views.mixins import Echo, ExcelDateFormatter, SpreadsheetExportMixin

from . import audit
from .models import AuditAction

# OWASP "CSV Injection": no cell may begin with these (tab, carriage return, line feed; null as
# in ASVS 1.2.10); a spreadsheet reads a cell that begins with a single quote as text.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\0")
TEXT_PREFIX = "'"
# What the listings show for no value: a minus alone starts no formula, and "'-" would read oddly.
EMPTY_VALUE = "-"


def spreadsheet_cell(value):
    """`value` as a spreadsheet cell: text that cannot start a formula; numbers and dates unchanged.

    Control characters that XLSX cannot hold are dropped first, so none can hide a trigger.
    """
    if isinstance(value, Promise):
        value = str(value)
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value == EMPTY_VALUE:
        return value
    return TEXT_PREFIX + value if value.startswith(FORMULA_TRIGGERS) else value


def stream_csv(self, queryset):
    """Every field quoted, so a separator of any locale (`,` `;`) inside a value cannot start a cell."""
    writer = csv.writer(Echo(), quoting=csv.QUOTE_ALL)
    yield writer.writerow([spreadsheet_cell(self.get_heading(queryset, field)) for field in self.list_export])
    for item in queryset:
        yield writer.writerow(
            [
                spreadsheet_cell(self.preprocess_field_value(field, value, self.FORMAT_CSV))
                for field, value in self.to_row_dict(item).items()
            ]
        )


def write_xlsx(self, queryset, output):
    """Every text a string cell (openpyxl would make a formula or an error value of some)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True, iso_dates=True)
    worksheet = workbook.create_sheet(title="Sheet1")
    date_format = ExcelDateFormatter().get()

    def cell(value, source=None):
        written = WriteOnlyCell(worksheet, spreadsheet_cell(value))
        if isinstance(written.value, str):
            written.data_type = "s"
        if isinstance(source, datetime.datetime):
            written.number_format = date_format
        return written

    worksheet.append([cell(self.get_heading(queryset, field)) for field in self.list_export])
    for item in queryset:
        worksheet.append(
            [
                cell(self.preprocess_field_value(field, value, self.FORMAT_XLSX), value)
                for field, value in self.to_row_dict(item).items()
            ]
        )
    workbook.save(output)


def as_spreadsheet(self, queryset, spreadsheet_format):
    """Wagtail's dispatch to the writer of the format, after recording the export: every export of
    the admin, this app's and Wagtail's own reports alike."""
    title = self.get_page_title() if hasattr(self, "get_page_title") else ""
    audit.record(
        AuditAction.EXPORTED,
        request=self.request,
        on=getattr(queryset, "model", None),
        data={"export": str(title), "format": spreadsheet_format},
    )
    if spreadsheet_format == self.FORMAT_CSV:
        return self.write_csv_response(queryset)
    if spreadsheet_format == self.FORMAT_XLSX:
        return self.write_xlsx_response(queryset)
    return None  # as Wagtail: an unknown format exports nothing


SAFE_WRITERS = {"as_spreadsheet": as_spreadsheet, "stream_csv": stream_csv, "write_xlsx": write_xlsx}


def install():
    for name, writer in SAFE_WRITERS.items():
        setattr(SpreadsheetExportMixin, name, writer)
