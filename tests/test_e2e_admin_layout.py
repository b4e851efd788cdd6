"""Every admin page of the app fits a phone (360 px) and a desktop (1280 px) in Chromium.

Wagtail's admin scrolls inside `main`, not the document, so a page that is too wide shows as
`main` scrolling sideways (or being cut off): both are measured. A table may scroll inside its
own region; the page may not. Nor may the page's title in Wagtail's slim header be cut off (its
breadcrumbs hide what does not fit beside the header's buttons).
"""

import pytest

from vse_referrals.models import ContactPoint

from . import builders

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

WIDTHS = (360, 1280)
MEASURE = """() => {
    const main = document.querySelector('main');
    return {
        page: document.documentElement.scrollWidth - innerWidth,
        main: main.scrollWidth - main.clientWidth,
        title: (crumbs => crumbs ? crumbs.scrollWidth - crumbs.clientWidth : 0)(
            document.querySelector('.w-slim-header .w-breadcrumbs')
        ),
    };
}"""


@pytest.fixture
def pages(db):
    """Each user's admin pages: dashboard, every inbox tab, open, closed and purged cases, the
    closing form, designations, the network's listings, an organisation, histories, the audit log."""
    sweden = builders.make_organisation("Brottsofferstöd Norden (demo)", country="SE")
    portugal = builders.make_organisation("Apoio à Vítima Portugal (demo)", country="PT")
    sender = builders.make_contact_point(sweden, username="astrid")
    receiver = builders.make_contact_point(portugal, username="ines")
    builders.make_pending_contact_point(portugal, username="rui")
    builders.make_superuser("vse-office")
    open_case = builders.case_in_state("accepted", sender, receiver)
    closed = builders.case_in_state("closed", sender, receiver)
    builders.case_in_state("purged", sender, receiver)
    builders.case_in_state("sent", receiver, sender)
    builders.case_in_state("draft", sender, receiver)
    designation = ContactPoint.objects.filter(organisation=portugal).first()
    inbox = [f"/admin/referrals/?tab={tab}" for tab in ("action", "incoming", "outgoing", "drafts", "closed")]
    return {
        "ines": [
            "/admin/",
            *inbox,
            f"/admin/referrals/{open_case.pk}/",
            f"/admin/referrals/{open_case.pk}/#close",
            f"/admin/referrals/{closed.pk}/",
            "/admin/referrals/points-of-contact/",
        ],
        "astrid": ["/admin/", *inbox, f"/admin/referrals/{closed.pk}/"],
        "vse-office": [
            "/admin/",
            "/admin/vse_referrals/referralcase/",
            "/admin/vse_referrals/organisation/",
            f"/admin/vse_referrals/organisation/inspect/{portugal.pk}/",
            "/admin/vse_referrals/contactpoint/",
            f"/admin/vse_referrals/contactpoint/history/{designation.pk}/",
            f"/admin/vse_referrals/referralcase/history/{closed.pk}/",
            "/admin/reports/site-history/",
        ],
    }


@pytest.mark.parametrize("username", ["ines", "astrid", "vse-office"])
def test_admin_pages_fit_a_phone_and_a_desktop(browser, live_server, pages, username):
    too_wide = []
    for width in WIDTHS:
        page = browser.new_page(viewport={"width": width, "height": 800})
        page.goto(f"{live_server.url}/admin/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", "password")
        page.click("button[type=submit]")
        page.wait_for_selector("main")
        for path in pages[username]:
            page.goto(f"{live_server.url}{path}")
            if path.endswith("#close"):  # the closing form, opened
                page.locator("summary", has_text="Close with outcome").click()
            overflow = page.evaluate(MEASURE)
            if any(excess > 0 for excess in overflow.values()):
                too_wide.append((width, path, overflow))
        page.close()
    assert too_wide == []


def test_case_rows_stack_on_a_phone_with_their_labels(browser, live_server, pages):
    page = browser.new_page(viewport={"width": 360, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ines")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/referrals/?tab=closed")
    row = page.locator("table.vse-case-table tbody tr").first
    cells = row.locator("td")
    # Stacked: every cell starts at the row's left edge, one under the other.
    lefts = {round(box["x"]) for box in (cells.nth(i).bounding_box() for i in range(cells.count()))}
    assert len(lefts) == 1
    label = page.evaluate(
        "getComputedStyle(document.querySelector('table.vse-case-table td[data-label=Closed]'), '::before').content"
    )
    assert label == '"Closed: "'
    page.close()


def test_the_overview_shows_its_whole_table_on_a_desktop(browser, live_server, pages):
    """At 1280 px the VSE office sees every column without scrolling, and the last row above the
    pagination (Wagtail's listing pulls the pagination up over it otherwise)."""
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "vse-office")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/vse_referrals/referralcase/")
    results = page.evaluate(
        """() => {
            const list = document.querySelector('.result-list');
            const rows = list.querySelectorAll('tbody tr');
            return {
                hidden: list.scrollWidth - list.clientWidth,
                lastRowBottom: rows[rows.length - 1].getBoundingClientRect().bottom,
                paginationTop: document.querySelector('.pagination').getBoundingClientRect().top,
            };
        }"""
    )
    assert results["hidden"] <= 0
    assert results["lastRowBottom"] <= results["paginationTop"]
    page.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_sign_in_logo_sits_in_the_middle_of_the_form(browser, live_server, width):
    # Wagtail's logo box is 8rem wide; the 80 px logo sat on its left, off the form's centre.
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    form = page.locator("form").first.bounding_box()
    logo = page.locator(".login-logo img").bounding_box()
    assert abs((logo["x"] + logo["width"] / 2) - (form["x"] + form["width"] / 2)) <= 1
    page.close()


@pytest.mark.parametrize("path", ["/admin/", "/admin/referrals/points-of-contact/"])
def test_designation_rows_stack_on_a_phone_with_their_labels(browser, live_server, pages, path):
    """The pending designations on the dashboard and the points of contact page: no header row
    over stacked cells, each value under its label, the name in line with them."""
    page = browser.new_page(viewport={"width": 360, "height": 800})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "ines")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}{path}")
    table = page.locator("table.vse-stacked").filter(has_text="Proposed by").first
    assert not table.locator("thead").is_visible()
    cells = table.locator("tbody tr").last.locator("td")
    lefts = {round(box["x"]) for box in (cells.nth(i).bounding_box() for i in range(cells.count()))}
    assert len(lefts) == 1
    role = table.locator("tbody tr").last.locator("td[data-label=Role]")
    assert page.evaluate("(cell) => getComputedStyle(cell, '::before').content", role.element_handle()) == '"Role: "'
    page.close()
