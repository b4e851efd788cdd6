"""The editors' report of directory services, with its CSV and XLSX export."""

import csv
from io import BytesIO, StringIO

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from wagtail.models import GroupPagePermission, Site

from vse_referrals import wagtail_hooks
from vse_referrals.models import MemberOrganisationPage
from vse_referrals.views.directory_report import URL_NAME

from . import builders
from .builders import CITY_ONLY, HIDDEN, make_example_directory, make_member, make_service

pytestmark = pytest.mark.django_db

REPORT_URL = "/admin/reports/directory-services/"
SERVICES = ("General support for victims", "Court accompaniment", "Fraud advice", "Draft service")


@pytest.fixture
def example():
    return make_example_directory()


def page_editor(username, page, permission_type="change"):
    """A user whose group may edit `page` and the pages below it, the way Wagtail grants page permissions."""
    user = builders.make_user(username)
    group = Group.objects.create(name=f"Editors of {page.title} ({username})")
    GroupPagePermission.objects.create(group=group, page=page, permission_type=permission_type)
    user.groups.add(group)
    return user


def csv_text(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    return b"".join(response.streaming_content).decode()


def test_url_and_menu_are_registered():
    assert reverse(URL_NAME) == REPORT_URL


# Who may see it -----------------------------------------------------------------------------


@pytest.mark.parametrize("export", ["", "csv", "xlsx"])
def test_users_who_cannot_edit_the_directory_are_denied(client, example, export):
    elsewhere = Site.objects.get(is_default_site=True).root_page  # the home page, above the directory
    other_page = elsewhere.add_child(instance=type(elsewhere)(title="News", slug="news"))
    for user in (builders.make_user("no-page-permissions"), page_editor("news-editor", other_page)):
        client.force_login(user)
        response = client.get(REPORT_URL, {"export": export} if export else {})
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_home")
        assert b"Fraud advice" not in response.content


def test_anonymous_users_are_sent_to_the_login(client, example):
    response = client.get(REPORT_URL, {"export": "csv"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_menu_item_is_shown_to_directory_editors_only(example):
    menu_item = wagtail_hooks.register_reports_menu_item()
    request = RequestFactory().get("/admin/")
    request.user = builders.make_user("no-page-permissions")
    assert not menu_item.is_shown(request)
    request.user = page_editor("directory-editor", example["directory"])
    assert menu_item.is_shown(request)


def test_directory_editor_sees_every_service(client, example):
    client.force_login(page_editor("directory-editor", example["directory"]))
    response = client.get(REPORT_URL)
    assert response.status_code == 200
    for name in SERVICES:
        assert name in response.content.decode()


def test_member_editor_sees_the_services_of_their_member_only(client, example):
    client.force_login(page_editor("lyon-editor", example["lyon"]))
    text = csv_text(client.get(REPORT_URL, {"export": "csv"}))
    assert "General support for victims" in text and "Court accompaniment" in text
    assert "Fraud advice" not in text


# The export ---------------------------------------------------------------------------------


def test_csv_export_lists_services_with_their_dimensions(client, example):
    # The member's capacity is its organisation's (the one field for it), then the service's details.
    MemberOrganisationPage.objects.filter(pk=example["lyon"].pk).update(
        organisation=builders.make_organisation("Lyon", capacity_status="waitlist")
    )
    client.force_login(builders.make_superuser())
    rows = list(csv.reader(StringIO(csv_text(client.get(REPORT_URL, {"export": "csv"})))))
    assert rows[0] == [
        "Member",
        "Country",
        "Service",
        "Forms of assistance",
        "Types of victims",
        "How victims are informed",
        "Ways to get assistance",
        "Capacity",
        "Staff, volunteers and training",
        "Financing",
        "Accessibility",
        "Languages",
        "Open 24/7",
        "Free of charge",
        "Last verified",
        "Status",
    ]
    assert len(rows) == 1 + len(SERVICES)
    (general,) = [row for row in rows if row[2] == "General support for victims"]
    assert general == [
        "Aide aux Victimes Lyon",
        "France",
        "General support for victims",
        "Emotional support; Practical help",
        "All victims of crime",
        "Referral by the police; Website",
        "Phone helpline; Walk-in centre",
        "Waiting list; Answer within a day",
        "4 paid staff; 20 volunteers; 40 hours of initial training",
        "National government; Ministry of Justice grant",
        "Sign language",
        "English; French",
        "Yes",
        "Yes",
        "2026-01-15",
        "live",
    ]
    (draft,) = [row for row in rows if row[2] == "Draft service"]
    assert draft[-1] == "draft"


def test_exports_never_contain_locations(client, example):
    client.force_login(builders.make_superuser())
    text = csv_text(client.get(REPORT_URL, {"export": "csv"}))
    html = client.get(REPORT_URL).content.decode()
    for value in (*HIDDEN.values(), *CITY_ONLY.values(), "12 Rue de la République"):
        assert value not in text
        assert value not in html


def test_xlsx_export(client, example):
    client.force_login(page_editor("directory-editor", example["directory"]))
    response = client.get(REPORT_URL, {"export": "xlsx"})
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(b"".join(response.streaming_content))).active.values)
    assert rows[0][:3] == ("Member", "Country", "Service")
    assert sorted(row[2] for row in rows[1:]) == sorted(SERVICES)
    assert HIDDEN["address"] not in repr(rows)


def test_queries_do_not_grow_with_services(client, example):
    client.force_login(page_editor("directory-editor", example["directory"]))

    def count():
        client.get(REPORT_URL)  # warm the caches
        with CaptureQueriesContext(connection) as queries:
            assert client.get(REPORT_URL).status_code == 200
        return len(queries)

    few = count()
    for number in range(30):
        make_service(
            make_member(example["directory"]), f"Service {number}", victims=["older-victims"], languages=["de"]
        )
    assert count() == few
