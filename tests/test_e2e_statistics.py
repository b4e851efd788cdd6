"""End to end in Chromium: the referral statistics as a new user meets them (issue 12)."""

import csv
import io
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from vse_referrals.models import Status

from . import builders
from .browser import log_in

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def network(db):
    sweden = builders.make_organisation("Brottsofferstöd Test", country="SE")
    france = builders.make_organisation("Aide aux Victimes Test", country="FR")
    builders.designate(builders.make_user("astrid"), sweden)
    builders.make_superuser("vse-office")
    sent = timezone.now() - timedelta(hours=12)
    for _number in range(6):
        builders.past_case(sweden, france, sent, Status.COMPLETED, answer_hours=2, contact_hours=5, outcome="supported")
    builders.past_case(france, sweden, sent, Status.REJECTED, answer_hours=1)
    return {"sweden": sweden, "france": france}


def test_administrator_changes_the_period_and_exports_the_flow_matrix(browser, live_server, network):
    page = log_in(browser, live_server, "vse-office")
    page.get_by_role("button", name="Reports").click()  # the sidebar's menu
    page.get_by_role("link", name="Referral statistics").click()
    expect(page.get_by_role("heading", name="Referral statistics")).to_be_visible()
    flows = page.locator("section#flows")
    expect(flows.get_by_role("img")).to_be_visible()  # the chart, with its text alternative
    expect(flows.locator("tbody th", has_text="Sweden")).to_be_visible()
    expect(flows.locator("tbody td", has_text="fewer than 5").first).to_be_visible()  # France→Sweden: 1

    page.select_option("select[name=period]", "month")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"[?&]period=month&"))
    expect(page.locator("section#monthly tfoot td").first).to_have_text("7")

    with page.expect_download() as download:
        page.locator("section#flows").get_by_role("link", name="CSV").click()
    rows = list(csv.reader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))
    assert rows[0] == ["Sending country", "France", "Sweden", "Total sent"]
    # France→Sweden (1) is small; the totals would give it away from Sweden→France (6): hidden too.
    hidden = "hidden (would reveal a small count)"
    assert rows[1:] == [
        ["France", "0", "fewer than 5", "fewer than 5"],
        ["Sweden", hidden, "0", hidden],
        ["Total received", hidden, "fewer than 5", "7"],
    ]


def test_point_of_contact_sees_their_organisation_against_the_network_on_a_phone(browser, live_server, network):
    page = log_in(browser, live_server, "astrid")
    page.set_viewport_size({"width": 360, "height": 800})
    page.goto(f"{live_server.url}/admin/reports/referral-statistics/")
    members = page.locator("section#members-organisation tbody")
    expect(members.locator("th")).to_have_text(["Brottsofferstöd Test", "Network (all members)"])
    expect(page.locator("section#priority thead")).to_contain_text("Network")
    # The page itself never scrolls sideways at 360 px: only a wide table or matrix does, in its box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
