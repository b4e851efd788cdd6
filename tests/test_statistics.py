"""The referral statistics report (issue 12): known answers on a fixture, suppression, privacy
(metadata only, the purge changes nothing, who sees what), exports and query counts."""

import csv
import io
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from wagtail.users.models import UserProfile

from vse_referrals import retention, workflow
from vse_referrals.crypto import EncryptedCharField, EncryptedDateField, EncryptedTextField
from vse_referrals.models import (
    AuditAction,
    AuditEntry,
    CaseEvent,
    CaseMessage,
    ContactPoint,
    Organisation,
    ReasonCode,
    ReferralCase,
    ReferralTally,
    Status,
)
from vse_referrals.statistics import tally
from vse_referrals.statistics.figures import (
    Report,
    Times,
    _answer_times_in_python,
    answer_times,
    network_scope,
    organisation_scope,
    percentile,
)
from vse_referrals.statistics.periods import Period, PeriodForm
from vse_referrals.statistics.suppression import PRIMARY, SECONDARY, TOO_FEW, Cell, Row, Table, suppress

from . import builders
from .concurrency import races_threads

pytestmark = pytest.mark.django_db

URL = reverse("vse_referrals_statistics")
MARCH_TO_APRIL = {"period": "custom", "start": "2026-03", "end": "2026-04"}
NOW = timezone.make_aware(datetime(2026, 5, 1, 12))


def at(day, hour=9, month=3):
    return timezone.make_aware(datetime(2026, month, day, hour))


@pytest.fixture
def threshold(settings):
    settings.VSE_REFERRALS_STATISTICS_MIN_COUNT = 3
    return 3


@pytest.fixture
def org_c(db):
    return builders.make_organisation("Organisation C", country="DE")


@pytest.fixture
def network(org_a, org_b, org_c):
    """Ten referrals with known figures. A (France), B (Sweden), C (Germany).

    March: A→B four answered after 1, 2, 3 and 10 hours (deadline 5 h), three accepted (the victim
    contacted after 5, 6 and 7 hours), the fourth declined; B→A one accepted after 4 h and
    completed, one withdrawn unanswered, one expired; A→C one unanswered and overdue; B→C one
    awaiting its answer (deadline in 2030). April: A→B one completed. Before and after: none.
    """
    future = {"respond_by": timezone.make_aware(datetime(2030, 1, 1))}
    cases = [
        builders.past_case(org_a, org_b, at(2), Status.COMPLETED, answer_hours=1, contact_hours=5,
                           outcome="supported", priority="stat", crime_type="assault", age_band="child",
                           support_needed=["emotional", "legal"]),
        builders.past_case(org_a, org_b, at(3), Status.COMPLETED, answer_hours=2, contact_hours=6,
                           outcome="supported", crime_type="assault", age_band="18-25"),
        builders.past_case(org_a, org_b, at(4), Status.IN_PROGRESS, answer_hours=3, contact_hours=7,
                           crime_type="fraud", age_band="26-64"),
        builders.past_case(org_a, org_b, at(5), Status.REJECTED, answer_hours=10, crime_type="fraud"),
        builders.past_case(org_b, org_a, at(6), Status.COMPLETED, answer_hours=4, contact_hours=30,
                           outcome="referred-on", priority="routine", support_needed=["shelter"]),
        builders.past_case(org_b, org_a, at(7), Status.CANCELLED, priority="routine"),
        builders.past_case(org_b, org_a, at(8), Status.FAILED, status_reason_code=ReasonCode.EXPIRED,
                           priority="routine"),
        builders.past_case(org_a, org_c, at(9), Status.REQUESTED, priority="stat"),
        builders.past_case(org_b, org_c, at(10), Status.REQUESTED, **future),
        builders.past_case(org_a, org_b, at(2, month=4), Status.COMPLETED, answer_hours=2, contact_hours=8,
                           outcome="supported"),
        # Outside the period: sent in February and in May, and a draft never sent.
        builders.past_case(org_a, org_b, at(27, month=2), Status.COMPLETED, answer_hours=1, outcome="supported"),
        builders.past_case(org_a, org_b, at(1, month=5), Status.REQUESTED),
        builders.make_case(org_a, org_b),
    ]  # fmt: skip
    return cases


def march_to_april(scopes=None, member=None, threshold=None):
    form = PeriodForm(MARCH_TO_APRIL)
    assert form.is_valid(), form.errors
    return Report(form.get_period(), scopes or [network_scope()], member=member, now=NOW, threshold=threshold)


def table(tables, key):
    return next(table for table in tables if table.key == key)


def figures(table):
    """{row: {column: value, or how it is hidden}} of a table."""
    return {
        row.label: {key: (cell.hidden or cell.value) for key, cell in row.cells.items()} for row in table.all_rows()
    }


# Known answers ---------------------------------------------------------------------------------


def test_referrals_per_month(network):
    monthly = figures(table(march_to_april(threshold=1).tables(), "monthly"))
    assert monthly == {
        "March 2026": {"sent": 9, "accepted": 4, "declined": 1, "withdrawn": 1, "expired": 1, "completed": 3},
        "April 2026": {"sent": 1, "accepted": 1, "declined": 0, "withdrawn": 0, "expired": 0, "completed": 1},
        "Whole period": {"sent": 10, "accepted": 5, "declined": 1, "withdrawn": 1, "expired": 1, "completed": 4},
    }


def test_a_referral_counts_in_the_local_month_it_was_sent(org_a, org_b):
    # Brussels is UTC+2 from 29 March: 31 March 21:59 UTC is still March there, 22:00 UTC is
    # midnight, 1 April; 30 April 21:59 UTC is the last minute of April.
    for sent in (datetime(2026, 3, 31, 21, 59), datetime(2026, 3, 31, 22), datetime(2026, 4, 30, 21, 59)):
        builders.past_case(org_a, org_b, sent.replace(tzinfo=UTC), Status.REQUESTED)
    monthly = figures(table(march_to_april(threshold=1).tables(), "monthly"))
    sent = {row: values["sent"] for row, values in monthly.items()}
    assert sent == {"March 2026": 1, "April 2026": 2, "Whole period": 3}


def test_flow_matrix(network):
    flows = figures(table(march_to_april(threshold=1).tables(), "flows"))
    assert flows == {
        "France": {"FR": 0, "DE": 1, "SE": 5, "total": 6},
        "Sweden": {"FR": 3, "DE": 1, "SE": 0, "total": 4},
        "Total received": {"FR": 3, "DE": 2, "SE": 5, "total": 10},
    }


def test_answer_times_per_member(network, threshold):
    members = figures(table(march_to_april().tables(), "members"))
    assert members["Organisation B"] == {
        "received": 5,
        # first answers after 1, 2, 2, 3 and 10 hours: median 2, 90th percentile 3 + 0.6 × 7
        "answer_median": 2.0,
        "answer_p90": pytest.approx(7.2),
        "in_time": 80.0,  # four of the five answered within their 5 hours
        # victim contacted after 5, 6, 7 and 8 hours
        "contact_median": 6.5,
        "contact_p90": pytest.approx(7.7),
        "overdue": 0,
    }
    # A answered one referral (4 h) of the two due (one expired): too few to show anything. It
    # received three: shown alone, but C's two would follow from the total, so A's is hidden too.
    assert members["Organisation A"] == {
        "received": SECONDARY,
        "answer_median": TOO_FEW,
        "answer_p90": TOO_FEW,
        "in_time": TOO_FEW,
        "contact_median": TOO_FEW,
        "contact_p90": TOO_FEW,
        "overdue": 0,
    }
    # C: two received, one overdue now (the other's deadline is in 2030).
    assert (members["Organisation C"]["received"], members["Organisation C"]["overdue"]) == (PRIMARY, PRIMARY)
    network_row = members["Network (all members)"]
    # all first answers: 1, 2, 2, 3, 4, 10; in time: 5 of the 8 due (6 answered, 1 expired, A→C
    # overdue; B→C is not due before 2030)
    assert (network_row["received"], network_row["answer_median"]) == (10, 2.5)
    assert network_row["answer_p90"] == pytest.approx(7.0)
    assert network_row["in_time"] == 62.5
    assert network_row["contact_median"] == 7.0  # 5, 6, 7, 8, 30


def test_breakdowns_by_category(network):
    tables = march_to_april(threshold=1).tables()
    column = {name: {row: values["network"] for row, values in figures(table(tables, name)).items()}
              for name in ("priority", "crime-type", "age-band", "outcome", "support-needed")}  # fmt: skip
    assert column["priority"] == {"Emergency": 2, "Urgent": 5, "Normal": 3, "All referrals": 10}
    assert column["crime-type"]["Physical assault"] == 2
    assert column["crime-type"]["Fraud or scam"] == 2
    assert column["crime-type"]["Not recorded"] == 6
    assert column["age-band"]["Child (under 18)"] == 1
    assert column["age-band"]["Unknown"] == 7
    assert column["outcome"]["Victim supported"] == 3
    assert column["outcome"]["Referred on to another service"] == 1
    assert column["outcome"]["No outcome recorded (open, declined, withdrawn or expired)"] == 6
    assert column["support-needed"]["Emotional support"] == 9  # the builder's default asks for it
    assert column["support-needed"]["Legal advice or representation"] == 1
    assert column["support-needed"]["Safe accommodation"] == 1


def test_percentiles_interpolate_as_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 10.0], 0.5) == 2.5
    assert percentile([1.0, 2.0, 3.0, 10.0], 0.9) == pytest.approx(7.9)


def test_answer_times_in_the_database_and_in_python_agree(network, org_a, org_b):
    """PostgreSQL works the percentiles out with percentile_cont; SQLite's fallback here must give
    the same (the first on whichever database the suite runs, the fallback on both)."""
    cases = march_to_april().cases
    expected = {
        # first answers after 1, 2, 2, 3 and 10 hours; victim contacted after 5, 6, 7 and 8
        org_b.pk: {"answer": Times(5, 2.0, 7.2), "contact": Times(4, 6.5, 7.7)},
        org_a.pk: {"answer": Times(1, 4.0, 4.0), "contact": Times(1, 30.0, 30.0)},
        None: {"answer": Times(6, 2.5, 7.0), "contact": Times(5, 7.0, 21.2)},
    }
    for worked_out in (answer_times(cases), _answer_times_in_python(cases.filter(answered_at__isnull=False))):
        assert worked_out.keys() == expected.keys()
        for member, times in expected.items():
            for name, wanted in times.items():
                assert worked_out[member][name].count == wanted.count
                assert worked_out[member][name].median == pytest.approx(wanted.median)
                assert worked_out[member][name].p90 == pytest.approx(wanted.p90)
    # A point of contact's report shows only their own member's row beside the network's.
    own = answer_times(cases, member=org_a)
    assert own == {key: value for key, value in answer_times(cases).items() if key in (org_a.pk, None)}
    assert own.keys() == {org_a.pk, None}


# Suppression -----------------------------------------------------------------------------------


def test_flow_matrix_hides_small_counts_and_what_would_reveal_them(network, threshold):
    flows = table(march_to_april().tables(), "flows")
    assert figures(flows) == {
        # The Germany column is small (1, 1, 2). Each row's total would give its small cell away
        # from the others: France→Sweden, Sweden→France and the total received by France are hidden
        # too; then the Sweden column would give France→Sweden away: its total is hidden as well.
        "France": {"FR": 0, "DE": PRIMARY, "SE": SECONDARY, "total": 6},
        "Sweden": {"FR": SECONDARY, "DE": PRIMARY, "SE": 0, "total": 4},
        "Total received": {"FR": SECONDARY, "DE": PRIMARY, "SE": SECONDARY, "total": 10},
    }
    for line in flows.lines():
        assert sum(1 for cell in line if cell.hidden) != 1


def test_secondary_suppression_goes_on_until_no_line_gives_a_count_away():
    def counts(*values):
        return {str(index): Cell(value) for index, value in enumerate(values)}

    grid = Table(
        "t",
        "t",
        "row",
        [("0", "a"), ("1", "b"), ("2", "total")],
        [Row("x", counts(2, 20, 22)), Row("y", counts(30, 40, 70))],
        total_row=Row("total", counts(32, 60, 92)),
        total_column="2",
    )
    suppress(grid, 5)
    hidden = [[cell.hidden for cell in row.cells.values()] for row in grid.all_rows()]
    assert hidden == [[PRIMARY, SECONDARY, ""], [SECONDARY, SECONDARY, ""], ["", "", ""]]
    assert all(sum(1 for cell in line if cell.hidden) != 1 for line in grid.lines())


def test_zero_and_threshold_counts_are_shown():
    row = Row("x", {"a": Cell(0), "b": Cell(5), "c": Cell(4)})
    suppress(Table("t", "t", "row", [("a", "a"), ("b", "b"), ("c", "c")], [row]), 5)
    assert [cell.text(5) for cell in row.cells.values()] == ["0", "5", "fewer than 5"]


def test_page_and_exports_show_the_same_suppressed_cells(client, network, network_admin, threshold):
    client.force_login(network_admin)
    page = client.get(URL, MARCH_TO_APRIL).content.decode()
    assert "fewer than 3" in page and "hidden (would reveal a small count)" in page

    response = client.get(URL, {**MARCH_TO_APRIL, "table": "flows", "export": "csv"})
    assert response.status_code == 200
    assert 'filename="referral-statistics-flows-2026-03-2026-04.csv"' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["Sending country", "France", "Germany", "Sweden", "Total sent"],
        ["France", "0", "fewer than 3", "hidden (would reveal a small count)", "6"],
        ["Sweden", "hidden (would reveal a small count)", "fewer than 3", "0", "4"],
        [
            "Total received",
            "hidden (would reveal a small count)",
            "fewer than 3",
            "hidden (would reveal a small count)",
            "10",
        ],
    ]

    response = client.get(URL, {**MARCH_TO_APRIL, "table": "members", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][:3] == ["Receiving member", "Referrals received", "Median time to first answer (hours)"]
    assert values[1][:3] == [
        "Organisation A",
        "hidden (would reveal a small count)",
        "not shown (fewer than 3 referrals)",
    ]
    assert values[2][:3] == ["Organisation B", 5, 2]
    assert AuditEntry.objects.filter(action=AuditAction.EXPORTED).count() == 2


# Metadata only, and figures that survive the purge ---------------------------------------------


def encrypted_columns():
    return [
        f'"{field.model._meta.db_table}"."{field.column}"'
        for field in ReferralCase._meta.concrete_fields
        if isinstance(field, (EncryptedCharField, EncryptedTextField, EncryptedDateField))
    ]


def test_no_query_reads_an_encrypted_or_free_text_column(client, network, network_admin, sender):
    case_tables = (CaseMessage._meta.db_table, CaseEvent._meta.db_table, "vse_referrals_caseattachment")
    for user, members in ((network_admin, "members"), (sender, "members-organisation")):
        client.force_login(user)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, MARCH_TO_APRIL).status_code == 200
            assert client.get(URL, {**MARCH_TO_APRIL, "table": members, "export": "csv"}).status_code == 200
        statements = [query["sql"] for query in queries.captured_queries]
        report = [sql for sql in statements if ReferralCase._meta.db_table in sql]
        assert len(report) >= 6
        for sql in statements:
            assert not any(column in sql for column in encrypted_columns()), sql
            assert not any(name in sql for name in case_tables), sql
    assert encrypted_columns()  # the check above checks something


def report_texts(scopes=None, member=None):
    return [
        (table.key, [(row.label, [cell.text(3) for cell in row.cells.values()]) for row in table.all_rows()])
        for table in march_to_april(scopes, member, threshold=1).tables()
    ]


def test_the_same_figures_before_and_after_purging_every_closed_case(network, org_a):
    scopes = [organisation_scope(org_a), network_scope()]
    before = report_texts(), report_texts(scopes, org_a)
    result = retention.run(NOW + timedelta(days=800))
    assert len(result.purged) == 8 and not result.failed
    purged = ReferralCase.objects.filter(purged_at__isnull=False)
    assert set(purged.values_list("crime_type", "outcome")) == {("", "")}  # the cases lost their categories
    assert (report_texts(), report_texts(scopes, org_a)) == before


def test_running_counts_keep_only_months_members_and_codes(network, org_a, org_b):
    retention.run(NOW + timedelta(days=800))
    network_count = ReferralTally.objects.get(month=at(1).date(), organisation=None, key="crime_type:assault")
    member_count = ReferralTally.objects.get(month=at(1).date(), organisation=org_b, key="crime_type:assault")
    assert (network_count.count, member_count.count) == (2, 2)
    field_names = {field.name for field in ReferralTally._meta.concrete_fields}
    assert field_names == {"id", "month", "organisation", "key", "count"}


def test_the_running_counts_and_the_grouping_queries_give_the_same_figures(network, org_a):
    """The closed referrals are read from their running counts, the open ones grouped in the
    database: reopening every closed one in place (and forgetting its counts) sends all of them
    through the grouping queries, and must change no figure."""
    scopes = [organisation_scope(org_a), network_scope()]
    before = report_texts(), report_texts(scopes, org_a)
    assert ReferralTally.objects.exists()
    ReferralTally.objects.all().delete()
    assert ReferralCase.objects.filter(closed_at__isnull=False).update(closed_at=None) == 8
    assert (report_texts(), report_texts(scopes, org_a)) == before


def test_closing_through_the_workflow_adds_the_referral_to_the_running_counts(org_a, org_b, receiver):
    case = builders.past_case(org_a, org_b, at(4), Status.IN_PROGRESS, answer_hours=2, crime_type="fraud",
                              support_needed=["legal", "shelter"])  # fmt: skip
    assert not ReferralTally.objects.exists()  # open: counted by the report's own queries
    workflow.perform(case, "close", builders.acting(receiver), outcome="supported", now=at(20))
    counts = {(row.organisation_id, row.key): row.count for row in ReferralTally.objects.filter(month=at(1).date())}
    party = {
        "monthly:sent", "monthly:accepted", "monthly:completed", "priority:urgent", "crime_type:fraud",
        "age_band:unknown", "outcome:supported", "support_needed:legal", "support_needed:shelter", "flow:FR:SE",
    }  # fmt: skip
    members = {f"received:{org_b.pk}", f"in_time:{org_b.pk}", f"due:{org_b.pk}"}
    expected = {(organisation, key): 1 for organisation in (None, org_a.pk, org_b.pk) for key in party}
    assert counts == expected | {(None, key): 1 for key in members}
    other = builders.past_case(org_a, org_b, at(5), Status.IN_PROGRESS, answer_hours=9, crime_type="fraud")
    workflow.perform(other, "close", builders.acting(receiver), outcome="supported", now=at(20))
    assert ReferralTally.objects.get(month=at(1).date(), organisation=None, key="crime_type:fraud").count == 2
    assert not ReferralTally.objects.filter(key=f"in_time:{org_b.pk}", count=2).exists()  # 9 h: late


def test_running_counts_add_up_in_place():
    month = at(1).date()
    ReferralTally.objects.add({(month, None, "monthly:sent"): 2})
    ReferralTally.objects.add({(month, None, "monthly:sent"): 3, (month, None, "priority:stat"): 1})
    assert dict(ReferralTally.objects.values_list("key", "count")) == {"monthly:sent": 5, "priority:stat": 1}


# Who sees what ---------------------------------------------------------------------------------


def test_network_administrator_sees_the_whole_network(client, network, network_admin):
    client.force_login(network_admin)
    response = client.get(URL, MARCH_TO_APRIL)
    assert response.status_code == 200
    page = response.content.decode()
    for name in ("Organisation A", "Organisation B", "Organisation C", "Network (all members)"):
        assert name in page
    assert page.count("<svg") >= 10 and "Referrals sent in March 2026 to April 2026" in page


def test_point_of_contact_sees_their_organisation_beside_the_network(client, network, sender, org_a):
    client.force_login(sender)
    response = client.get(URL, MARCH_TO_APRIL)
    assert response.status_code == 200
    members = table(response.context["report"].tables(), "members-organisation")
    assert [row.label for row in members.all_rows()] == ["Organisation A", "Network (all members)"]
    page = response.content.decode()
    assert "Organisation B" not in page and "Organisation C" not in page
    priority = figures(table(response.context["report"].tables(), "priority"))
    # A is party to 8 of the 10 (not B→C's, nor the April one... which A sent): 9 of the 10
    assert priority["All referrals"] == {"organisation": 9, "network": 10}
    flows = figures(table(response.context["report"].tables(), "flows-organisation"))
    assert set(flows) == {"France", "Sweden", "Total received"}
    assert flows["Sweden"]["DE"] == 0  # B→C is not A's


@pytest.mark.parametrize("who", ["editor", "ended contact point", "no organisation", "pending contact point"])
def test_others_see_no_report_and_no_menu_item(client, network, org_b, who):
    users = {
        "editor": lambda: builders.make_user("editor"),
        "ended contact point": lambda: builders.make_contact_point(
            org_b, ContactPoint.Role.DEPUTY, started_ago=timedelta(days=90), ends_in=-timedelta(days=1)
        ),
        "no organisation": lambda: builders.make_user(is_staff=True),
        "pending contact point": lambda: builders.make_pending_contact_point(org_b),
    }
    client.force_login(users[who]())
    # Wagtail answers PermissionDenied in its admin with a redirect to the dashboard.
    for response in (client.get(URL), client.get(URL, {"table": "flows", "export": "csv"})):
        assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert 'href="/admin/reports/referral-statistics/"' not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_menu_item_shown_to_administrators_and_contact_points(client, network_admin, sender):
    for user in (network_admin, sender):
        client.force_login(user)
        assert URL in client.get(reverse("wagtailadmin_home")).content.decode()


# The period ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data, start, end",
    [
        ({}, "2026-01-01", "2027-01-01"),
        ({"period": "month", "year": "2025", "month": "2"}, "2025-02-01", "2025-03-01"),
        ({"period": "quarter", "year": "2025", "quarter": "4"}, "2025-10-01", "2026-01-01"),
        ({"period": "year", "year": "2024"}, "2024-01-01", "2025-01-01"),
        ({"period": "custom", "start": "2025-11", "end": "2026-02"}, "2025-11-01", "2026-03-01"),
    ],
)
def test_periods(data, start, end):
    form = PeriodForm(data, today=at(15, month=6).date())
    assert not form.is_bound or form.is_valid(), form.errors
    period = form.get_period()
    assert (str(period.start), str(period.end)) == (start, end)


@pytest.mark.parametrize(
    "data, error",
    [
        ({"period": "custom", "start": "2026-03"}, "A custom period needs a first and a last month."),
        ({"period": "custom", "start": "2026-03", "end": "2026-01"}, "before its first month"),
        ({"period": "custom", "start": "2020-01", "end": "2025-01"}, "at most 60 months"),
        ({"period": "year", "year": "1999"}, "greater than or equal to 2000"),
        ({"period": "month", "month": "13"}, "Select a valid choice"),
        ({"period": "custom", "start": "March", "end": "2026-01"}, "Enter a valid date"),
        ({"period": "weekly"}, "Select a valid choice"),
    ],
)
def test_bad_periods_get_a_clear_error_and_no_figures(client, network_admin, data, error):
    client.force_login(network_admin)
    response = client.get(URL, data)
    assert response.status_code == 200
    assert error in response.content.decode()
    assert response.context["report"] is None
    assert client.get(URL, {**data, "table": "flows", "export": "csv"}).status_code == 404


def test_unknown_table_is_not_found(client, network_admin):
    client.force_login(network_admin)
    assert client.get(URL, {"table": "cases", "export": "csv"}).status_code == 404


def test_charts_draw_with_decimal_points_in_a_language_that_writes_commas(client, network, network_admin):
    # Spanish formats 4.5 as "4,5", which an SVG length rejects: the charts would not draw.
    profile = UserProfile.get_for_user(network_admin)
    profile.preferred_language = "es"
    profile.save()
    client.force_login(network_admin)
    page = client.get(URL, MARCH_TO_APRIL).content.decode()
    lengths = re.findall(r'\s(?:x|y|width|height|fill-opacity)="([^"]*)"', page)
    assert lengths and any("." in value for value in lengths)
    assert [value for value in lengths if "," in value] == []


def test_quarters_are_named_in_the_language_of_the_request():
    with translation.override("es"):
        spanish = str(PeriodForm()["quarter"])
    with translation.override("fr"):
        french = str(PeriodForm()["quarter"])
    assert "Trimestre 4" in spanish and "Quarter" not in spanish
    assert "Quarter" not in french


def test_period_survives_in_the_export_links(client, network_admin, network):
    client.force_login(network_admin)
    page = client.get(URL, MARCH_TO_APRIL).content.decode()
    assert "?period=custom&amp;start=2026-03&amp;end=2026-04&amp;table=flows&amp;export=csv" in page


# Cost ------------------------------------------------------------------------------------------


def bulk_cases(count, org_a, org_b):
    """`count` referrals, a third open and the others closed and counted (as on closing)."""
    sent, first = at(10), ReferralCase.objects.count()
    created = ReferralCase.objects.bulk_create(
        ReferralCase(
            reference=f"BULK-{first + index:05d}",
            sending_organisation=org_a if index % 2 else org_b,
            receiving_organisation=org_b if index % 2 else org_a,
            status=Status.IN_PROGRESS if index % 3 == 0 else Status.COMPLETED,
            closed_at=None if index % 3 == 0 else sent + timedelta(days=1),
            sent_at=sent,
            respond_by=sent + timedelta(hours=5),
            answered_at=sent + timedelta(hours=index % 7),
            victim_contacted_at=sent + timedelta(hours=index % 11 + 7),
            crime_type="fraud",
            support_needed=["legal"],
        )
        for index in range(count)
    )
    ReferralTally.objects.add(tally.count(ReferralCase.objects.filter(pk__in=[case.pk for case in created])))


@pytest.mark.parametrize("user", ["network_admin", "sender"])
def test_query_count_does_not_grow_with_the_cases(client, org_a, org_b, user, request):
    client.force_login(request.getfixturevalue(user))
    counts = []
    for total in (50, 5000):
        bulk_cases(total - ReferralCase.objects.count(), org_a, org_b)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, MARCH_TO_APRIL).status_code == 200
        counts.append(len(queries))
    assert ReferralCase.objects.count() == 5000
    assert counts[0] == counts[1]


def test_period_bounds_are_local_midnights():
    period = Period(at(1).date(), at(1, month=4).date(), "March", "2026-03")
    start, end = period.bounds()
    assert (start.isoformat(), end.isoformat()) == ("2026-03-01T00:00:00+01:00", "2026-04-01T00:00:00+02:00")
    assert list(period.months()) == [at(1).date()]


def test_organisations_are_listed_by_name_not_by_internal_order(network, org_a):
    Organisation.objects.filter(pk=org_a.pk).update(name="Zeta")
    members = table(march_to_april(threshold=1).tables(), "members")
    assert [row.label for row in members.rows] == ["Organisation B", "Organisation C", "Zeta"]


# The same rule as the 0015 test: serialized_rollback, or PostgreSQL's recreated content types
# collide with the next test's serialized data.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_0019_counts_the_referrals_already_closed_and_the_categories_the_purge_kept():
    executor = MigrationExecutor(connection)
    before, after = [("vse_referrals", "0018_statistics_support_needed")], [("vse_referrals", "0019_statistics_tally")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    groups = old_apps.get_model("auth", "Group").objects
    organisations = old_apps.get_model("vse_referrals", "Organisation").objects
    sender = organisations.create(name="Old A", country="FR", contact_points_group=groups.create(name="Old A"))
    receiver = organisations.create(name="Old B", country="SE", contact_points_group=groups.create(name="Old B"))
    cases = old_apps.get_model("vse_referrals", "ReferralCase").objects
    sent, hour = at(3), timedelta(hours=1)
    common = {"sending_organisation": sender, "receiving_organisation": receiver, "sent_at": sent}
    common["respond_by"] = sent + 5 * hour
    cases.create(reference="OLD-1", status=Status.COMPLETED, answered_at=sent + 2 * hour, closed_at=sent + 9 * hour,
                 priority="stat", crime_type="fraud", age_band="child", outcome="supported",
                 support_needed=["legal"], **common)  # fmt: skip
    # Purged: its categories blanked, after the purge had counted them.
    cases.create(reference="OLD-2", status=Status.REJECTED, answered_at=sent + 9 * hour, closed_at=sent + 9 * hour,
                 purged_at=sent + 400 * 24 * hour, priority="urgent", **common)  # fmt: skip
    old_apps.get_model("vse_referrals", "PurgedCategoryCount").objects.create(
        month=at(1).date(), sending_organisation=sender, receiving_organisation=receiver, category="crime_type",
        code="assault", count=1,
    )  # fmt: skip
    cases.create(reference="OLD-3", status=Status.IN_PROGRESS, answered_at=sent + hour, crime_type="theft", **common)

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    counts = executor.loader.project_state(after).apps.get_model("vse_referrals", "ReferralTally").objects
    network = dict(counts.filter(month=at(1).date(), organisation=None).values_list("key", "count"))
    assert network == {
        "monthly:sent": 2, "monthly:accepted": 1, "monthly:completed": 1, "monthly:declined": 1,
        "priority:stat": 1, "priority:urgent": 1, "crime_type:fraud": 1, "crime_type:assault": 1,
        "age_band:child": 1, "outcome:supported": 1, "support_needed:legal": 1, "flow:FR:SE": 2,
        f"received:{receiver.pk}": 2, f"in_time:{receiver.pk}": 1, f"due:{receiver.pk}": 2,
    }  # fmt: skip
    for member in (sender, receiver):
        assert counts.get(organisation_id=member.pk, key="crime_type:assault").count == 1
    assert not counts.filter(key="crime_type:theft").exists()  # open: the report counts it itself


@races_threads
def test_two_members_closing_at_once_lose_no_count(org_a, org_b, sender, receiver):
    """Each closing adds to rows of the network and of both members, new rows each month: the two
    closings here are between the same members in opposite directions (`ReferralTally.objects.add`
    writes rows in one order for everyone, so such a pair waits rather than deadlocks)."""
    for month in range(1, 6):
        cases = [
            (builders.past_case(org_a, org_b, at(3, month=month), Status.IN_PROGRESS, answer_hours=1), receiver.pk),
            (builders.past_case(org_b, org_a, at(4, month=month), Status.IN_PROGRESS, answer_hours=1), sender.pk),
        ]
        barrier, results = threading.Barrier(len(cases)), []

        def close(case_pk, user_pk, barrier=barrier, results=results):
            try:
                user = get_user_model().objects.get(pk=user_pk)
                case = ReferralCase.objects.get(pk=case_pk)
                barrier.wait(timeout=10)
                workflow.perform(case, "close", builders.acting(user), outcome="supported")
                results.append("closed")
            except Exception as error:  # noqa: BLE001  (reported by the assertion below)
                results.append(repr(error))
            finally:
                connection.close()

        threads = [threading.Thread(target=close, args=(case.pk, user_pk)) for case, user_pk in cases]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        assert results == ["closed", "closed"]
        counts = ReferralTally.objects.filter(month=at(1, month=month).date(), key="monthly:completed")
        assert dict(counts.values_list("organisation", "count")) == {None: 2, org_a.pk: 2, org_b.pk: 2}
