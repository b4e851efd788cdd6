"""Every public page fits a phone (360 px) and a laptop (1280 px); on a wide screen the map stays
in view beside the list and carries a key; the icon is served."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from vse_referrals.models import MemberDirectoryPage, MemberHelpline

from .builders import make_member_with_services, make_members

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The example intranet's own templates (its 404 page), as the example site serves them.
EXAMPLE_TEMPLATES = Path(__file__).resolve().parent.parent / "example_site" / "example_site" / "templates"


@pytest.fixture
def public(live_server, settings):
    """The addresses of the public pages: a directory of 31 members (two pages of the list), one of
    them with long unbroken words and a helpline, a UK nation and a micro-state."""
    from wagtail.models import Site

    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [EXAMPLE_TEMPLATES]}]
    site = Site.objects.get(is_default_site=True)
    directory = site.root_page.add_child(instance=MemberDirectoryPage(title="Find support", slug="find-support"))
    make_members(directory, 28)
    long_words = make_member_with_services(
        directory,
        "Rikosuhripäivystyspalvelukeskusyhdistys Pohjois-Pohjanmaa",
        "FI",
        services=[
            {"name": "Oikeudenkäyntitukihenkilötoimintapalvelu", "victims": ["all-victims-of-crime"]},
            {"name": "Violence line FI", "victims": ["domestic-violence"], "open_24_7": True},
        ],
    )
    long_words.email = "neuvonta.rikosuhripaivystyspalvelukeskusyhdistys@example.org"
    long_words.save()
    MemberHelpline.objects.create(page=long_words, label="Rikosuhripäivystyksen auttava puhelin", number="+358 116 006")
    scotland = make_member_with_services(
        directory, "Support Glasgow", "GB", region="GB-SCT", verified_days_ago=500, services=[{"name": "Court SCT"}]
    )
    make_member_with_services(directory, "Support Valletta", "MT", services=[{"name": "Court MT"}])  # a marker
    base = f"{live_server.url}{directory.url}"
    return {
        "directory": base,
        "filtered": f"{base}?country=GB-SCT",
        "filtered without match": f"{base}?victim_type=domestic-violence&country=GB",
        "second page": f"{base}?page=2",
        "profile": f"{live_server.url}{long_words.url}",
        "stale profile": f"{live_server.url}{scotland.url}",
        "not found": f"{live_server.url}/no-such-page/",
    }


@pytest.mark.parametrize("width", [360, 1280])
def test_every_public_page_fits_the_screen(browser, public, width):
    page = browser.new_page(viewport={"width": width, "height": 780})
    failed = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("response", lambda response: response.status >= 400 and failed.append(response.url))
    for name, url in public.items():
        page.goto(url)
        expect(page.locator("header.vse-site-header")).to_be_visible()
        wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert wider <= 0, f"{name} is {wider} px wider than a {width} px screen"
    assert failed == [public["not found"]]  # the one page meant to be missing; no icon or style missing
    page.close()


def test_the_map_stays_in_view_beside_the_list(browser, public):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(public["directory"])
    expect(page.locator(".vse-member")).to_have_count(20)
    page.locator(".vse-member").last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 1500  # far down the list
    box = page.locator("svg.vse-map").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= 800, box
    # The key too: the panel keeps it on screen.
    expect(page.get_by_role("group", name="Key to the map")).to_be_in_viewport()
    page.close()


def test_the_key_to_the_map_matches_its_colours(browser, public):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(public["filtered"])
    key = page.get_by_role("group", name="Key to the map")
    expect(key.get_by_role("listitem")).to_have_text(
        [
            "Country with matching services: select it to list them",
            "Small country or UK nation with matching services",
            "The country chosen",
            "No matching service (a grey dot for a small country)",
        ]
    )

    def fill(selector):
        return page.locator(selector).first.evaluate("element => getComputedStyle(element).fill")

    assert fill(".vse-map-legend__area--member") == fill(
        "svg.vse-map a.vse-map__area--member:not(.vse-map__area--selected) path"
    )
    assert fill(".vse-map-legend__marker") == fill(
        "svg.vse-map a.vse-map__area--marker:not(.vse-map__area--selected) .vse-map__marker"
    )
    assert fill(".vse-map-legend__area--selected") == fill("svg.vse-map .vse-map__area--selected .vse-map__marker")
    assert fill(".vse-map-legend__area--plain") == fill("svg.vse-map .vse-map__land")
    # Great Britain is coloured as a member, as its nations are.
    assert fill('svg.vse-map a[data-code="GB"] path') == fill(".vse-map-legend__area--member")
    # Without a chosen country, the key does not mention one.
    page.goto(public["directory"])
    expect(page.get_by_role("group", name="Key to the map").get_by_role("listitem")).to_have_count(3)
    page.close()


def test_the_icon_is_served_and_linked(browser, public, live_server):
    page = browser.new_page()
    response = page.request.get(f"{live_server.url}/favicon.ico")
    assert response.status == 200 and response.headers["content-type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    page.goto(public["profile"])
    for href in page.locator('link[rel="icon"]').evaluate_all("links => links.map(link => link.href)"):
        assert page.request.get(href).status == 200, href
    page.close()
