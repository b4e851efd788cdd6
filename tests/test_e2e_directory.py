"""A visitor uses the public directory in Chromium: filters without reload, the map, a phone, no JavaScript."""

import pytest
from playwright.sync_api import expect

from vse_referrals.models import MemberDirectoryPage

from .builders import make_member_with_services

# The live server needs committed data, so these tests use real transactions; the flush after
# each test would also remove what migrations made (root page, site, vocabularies), so that is
# restored before each test (serialized rollback).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def directory_url(live_server):
    from wagtail.models import Site

    site = Site.objects.get(is_default_site=True)
    directory = site.root_page.add_child(instance=MemberDirectoryPage(title="Find support", slug="find-support"))
    make_member_with_services(
        directory, "Aide Lyon", "FR", services=[{"name": "Court help FR", "victims": ["all-victims-of-crime"]}]
    )
    make_member_with_services(
        directory, "Hilfe Köln", "DE", services=[{"name": "Violence line DE", "victims": ["domestic-violence"]}]
    )
    make_member_with_services(
        directory, "Support Valletta", "MT", services=[{"name": "Court help MT", "victims": ["all-victims-of-crime"]}]
    )
    return f"{live_server.url}{directory.url}"


def test_filters_and_map_work_without_reloading(browser, directory_url):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(directory_url)
    page.evaluate("window.vseSamePage = true")
    page.select_option("select[name=victim_type]", "domestic-violence")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
    assert page.evaluate("window.vseSamePage") is True  # no reload happened
    assert "victim_type=domestic-violence" in page.url  # the filtered view can be shared
    page.select_option("select[name=victim_type]", "")
    expect(page.locator(".vse-list h2")).to_have_text("3 services found")
    # France's box spans its overseas regions, so choose it the way a keyboard user does.
    page.locator('svg a[data-code="FR"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
    expect(page.locator(".vse-member h3")).to_have_text("Aide Lyon")
    assert "country=FR" in page.url and page.evaluate("window.vseSamePage") is True
    page.go_back()
    expect(page.locator(".vse-list h2")).to_have_text("3 services found")
    # Back also puts the form back as it was, so the next change starts from what is shown.
    expect(page.locator("select[name=country]")).to_have_value("")
    page.go_forward()
    expect(page.locator("select[name=country]")).to_have_value("FR")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")


def test_pages_of_members_without_reloading(browser, directory_url, settings):
    settings.VSE_REFERRALS_DIRECTORY_PAGE_SIZE = 1
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(directory_url)
    page.evaluate("window.vseSamePage = true")
    page.select_option("select[name=victim_type]", "all-victims-of-crime")
    expect(page.locator(".vse-list__range")).to_have_text("Showing 1–1 of 2 members")
    expect(page.locator(".vse-member h3")).to_have_text("Aide Lyon")
    page.get_by_role("link", name="Next").click()
    expect(page.locator(".vse-member h3")).to_have_text("Support Valletta")
    expect(page.locator("#vse-list-heading")).to_be_focused()  # where the new page of the list starts
    assert "victim_type=all-victims-of-crime" in page.url and "page=2" in page.url
    assert page.evaluate("window.vseSamePage") is True
    page.go_back()
    expect(page.locator(".vse-member h3")).to_have_text("Aide Lyon")


def test_map_and_list_on_a_phone(browser, directory_url):
    page = browser.new_page(viewport={"width": 360, "height": 780})
    problems = []
    page.on("console", lambda message: message.type == "error" and problems.append(message.text))
    page.on("requestfailed", lambda request: problems.append(request.url))
    page.goto(directory_url)
    expect(page.get_by_role("link", name="Leave this site quickly")).to_be_visible()
    expect(page.locator('svg a[data-code="MT"]')).to_be_attached()  # Malta is a marker, not a lost speck
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1
    page.get_by_role("link", name="Hilfe Köln").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hilfe Köln")
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    assert problems == []  # no console error, no failed request (a favicon included)


def test_works_without_javascript(browser, directory_url):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(directory_url)
    page.select_option("select[name=victim_type]", "all-victims-of-crime")
    page.get_by_role("button", name="Show services").click()
    expect(page.locator(".vse-list h2")).to_have_text("2 services found")
    assert "victim_type=all-victims-of-crime" in page.url
    context.close()


def test_quick_exit_leaves_and_replaces_the_page(browser, directory_url):
    page = browser.new_page()
    page.goto("about:blank")
    page.goto(directory_url)
    page.get_by_role("link", name="Leave this site quickly").click()
    page.wait_for_url("about:blank")
    page.go_back()
    # The directory was replaced in the history: Back does not return to it.
    assert "find-support" not in page.url


def test_map_labels_follow_the_keyboard_and_leave_on_scroll(browser, directory_url):
    from vse_referrals.models import MemberDirectoryPage

    make_member_with_services(
        MemberDirectoryPage.objects.get(), "Help Boston", "US", services=[{"name": "Court help US"}]
    )
    page = browser.new_page(viewport={"width": 1280, "height": 700})
    page.goto(directory_url)
    svg = page.locator("svg.vse-map")
    expect(svg).to_have_attribute("data-view", "europe")
    # The United States is not in the Europe view: focusing it shows the whole world.
    page.locator('svg a[data-code="US"]').focus()
    expect(svg).to_have_attribute("data-view", "world")
    tooltip = page.locator(".vse-map-tooltip")
    expect(tooltip).to_have_text("United States of America: 1 service")
    page.mouse.wheel(0, 300)
    expect(tooltip).to_be_hidden()
    # A link to a country outside Europe opens on the World view (with or without the script).
    page.goto(f"{directory_url}?country=US")
    expect(svg).to_have_attribute("data-view", "world")
    expect(page.get_by_role("button", name="World")).to_have_attribute("aria-pressed", "true")


def test_back_from_a_profile_returns_to_the_whole_filtered_page(browser, directory_url):
    page = browser.new_page(viewport={"width": 360, "height": 780})
    page.goto(directory_url)
    page.select_option("select[name=victim_type]", "domestic-violence")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
    page.get_by_role("link", name="Hilfe Köln").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Hilfe Köln")
    page.go_back()
    # The page itself, not the results the filter script fetched for the same address.
    expect(page.get_by_role("link", name="Leave this site quickly")).to_be_visible()
    expect(page.locator("select[name=victim_type]")).to_have_value("domestic-violence")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
