"""The public member directory: pages, filters, the map, privacy of locations, query counts."""

import re
from datetime import timedelta
from itertools import combinations

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Page, Site
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from vse_referrals.dates import format_day
from vse_referrals.models import (
    AccessChannel,
    AssistanceForm,
    Language,
    MemberDirectoryPage,
    MemberHelpline,
    MemberLocation,
    MemberOrganisationPage,
    MemberService,
    VictimType,
)
from vse_referrals.templatetags.vse_directory_tags import refer_url

from . import builders
from .builders import make_directory, make_member_with_services, make_members

pytestmark = pytest.mark.django_db

HIDDEN_ADDRESS = "17 Secret Shelter Lane"
HIDDEN_NAME = "Safe house Lumière"


def term(model, code):
    return model.objects.get(code=code)


@pytest.fixture
def directory():
    return make_directory("Find support")


@pytest.fixture
def members(directory):
    france = make_member_with_services(
        directory,
        "Aide Lyon",
        "FR",
        services=[
            {
                "name": "Court help FR",
                "victims": ["all-victims-of-crime"],
                "forms": ["court-accompaniment"],
                "access": ["phone-helpline"],
                "languages": ["fr"],
            },
            {
                "name": "Violence line FR",
                "victims": ["domestic-violence"],
                "forms": ["emotional-support"],
                "access": ["online-chat"],
                "languages": ["fr", "ar"],
                "open_24_7": True,
                "accessibility": ["sign-language"],
            },
        ],
    )
    MemberLocation.objects.create(
        page=france, name="Lyon office", address="1 Rue Claire", city="Lyon", country="FR", visibility="exact"
    )
    MemberLocation.objects.create(
        page=france, name=HIDDEN_NAME, address=HIDDEN_ADDRESS, city="Lyon", country="FR", visibility="hidden"
    )
    MemberLocation.objects.create(
        page=france,
        name="Villeurbanne desk",
        address="9 Rue Cachée",
        city="Villeurbanne",
        country="FR",
        visibility="city",
    )
    MemberHelpline.objects.create(page=france, label="Victims helpline", number="116 006", open_24_7=True)
    germany = make_member_with_services(
        directory,
        "Hilfe Köln",
        "DE",
        services=[
            {
                "name": "Court help DE",
                "victims": ["all-victims-of-crime"],
                "forms": ["court-accompaniment"],
                "access": ["walk-in-centre"],
                "languages": ["de", "en"],
            }
        ],
    )
    scotland = make_member_with_services(
        directory,
        "Support Glasgow",
        "GB",
        region="GB-SCT",
        verified_days_ago=500,
        services=[
            {
                "name": "Violence line SCT",
                "victims": ["domestic-violence"],
                "forms": ["emotional-support"],
                "access": ["phone-helpline"],
                "languages": ["en"],
                "open_24_7": True,
            }
        ],
    )
    return {"FR": france, "DE": germany, "SCT": scotland}


def services_listed(response):
    html = response.content.decode()
    return sorted(set(re.findall(r"<strong>((?:Court help|Violence line) [A-Z]+)</strong>", html)))


# Pages ---------------------------------------------------------------------------------------


class PageRulesTests(WagtailPageTestCase):
    def test_creatable_only_where_allowed(self):
        self.assertAllowedSubpageTypes(MemberDirectoryPage, {MemberOrganisationPage})
        self.assertAllowedSubpageTypes(MemberOrganisationPage, set())
        self.assertAllowedParentPageTypes(MemberOrganisationPage, {MemberDirectoryPage})

    def test_profile_cannot_be_created_outside_the_directory(self):
        self.assertCanNotCreateAt(Page, MemberOrganisationPage)
        self.assertCanCreateAt(MemberDirectoryPage, MemberOrganisationPage)


def test_directory_and_profiles_render(client, members, directory):
    response = client.get(directory.url)
    assert response.status_code == 200
    assert services_listed(response) == ["Court help DE", "Court help FR", "Violence line FR", "Violence line SCT"]
    assert "Leave this site quickly" in response.content.decode()
    profile = client.get(members["FR"].url)
    html = profile.content.decode()
    assert profile.status_code == 200
    assert "116 006" in html and "Court accompaniment" in html and "Sign language" in html
    assert "Leave this site quickly" in html


def verified_note(client, page):
    return BeautifulSoup(client.get(page.url).content, "html.parser").select_one(".vse-verified")


def test_stale_profiles_say_so(client, members):
    assert "may be out of date" in client.get(members["SCT"].url).content.decode()
    assert "may be out of date" not in client.get(members["FR"].url).content.decode()
    assert members["SCT"].is_stale and not members["FR"].is_stale


def test_last_verified_is_always_shown_and_marked_when_stale(client, members):
    fresh = verified_note(client, members["FR"])
    verified = members["FR"].last_verified
    # The one day format of every page ("1 Dec 2026"), not Django's DATE_FORMAT ("Dec. 1, 2026").
    assert fresh.get_text(strip=True) == f"This information was last verified on {format_day(verified)}."
    assert re.search(r"on \d{1,2} [A-Z][a-z]{2} \d{4}\.$", fresh.get_text(strip=True))
    assert "vse-verified--stale" not in fresh["class"]
    stale = verified_note(client, members["SCT"])
    assert "vse-verified--stale" in stale["class"] and "may be out of date" in stale.get_text()
    MemberOrganisationPage.objects.filter(pk=members["DE"].pk).update(last_verified=None)
    never = verified_note(client, members["DE"])
    assert "vse-verified--stale" in never["class"] and "not been verified yet" in never.get_text()


def test_a_member_s_capacity_has_one_source_its_organisation(client, members):
    """The profile shows the capacity set in the organisation's form; services have no field of their own."""
    assert "capacity_status" not in {field.name for field in MemberService._meta.get_fields()}
    profile = members["FR"]
    assert profile.capacity_status is None
    assert "Capacity:" not in client.get(profile.url).content.decode()  # not linked: nothing to say
    organisation = builders.make_organisation("Aide Lyon", capacity_status="capacity")
    MemberOrganisationPage.objects.filter(pk=profile.pk).update(organisation=organisation)
    capacity = BeautifulSoup(client.get(profile.url).content, "html.parser").select_one(".vse-capacity")
    assert capacity.get_text(" ", strip=True) == "Capacity: Has capacity"
    organisation.capacity_status = "waitlist"
    organisation.save()
    capacity = BeautifulSoup(client.get(profile.url).content, "html.parser").select_one(".vse-capacity")
    assert capacity.get_text(" ", strip=True) == "Capacity: Waiting list"


# Filters -------------------------------------------------------------------------------------

FILTERS = {
    "country": ("FR", ["Court help FR", "Violence line FR"]),
    "victim_type": ("domestic-violence", ["Violence line FR", "Violence line SCT"]),
    "assistance": ("court-accompaniment", ["Court help DE", "Court help FR"]),
    "access": ("phone-helpline", ["Court help FR", "Violence line SCT"]),
    "language": ("en", ["Court help DE", "Violence line SCT"]),
    "open_24_7": ("on", ["Violence line FR", "Violence line SCT"]),
    "accessibility": ("sign-language", ["Violence line FR"]),
    "q": ("Köln", ["Court help DE"]),
}


@pytest.mark.parametrize("name", sorted(FILTERS))
def test_each_filter(client, members, directory, name):
    value, expected = FILTERS[name]
    assert services_listed(client.get(directory.url, {name: value})) == expected


@pytest.mark.parametrize("first, second", list(combinations(sorted(FILTERS), 2)))
def test_every_pair_of_filters(client, members, directory, first, second):
    expected = sorted(set(FILTERS[first][1]) & set(FILTERS[second][1]))
    response = client.get(directory.url, {first: FILTERS[first][0], second: FILTERS[second][0]})
    assert services_listed(response) == expected


def test_uk_nation_filter_and_map_marker(client, members, directory):
    response = client.get(directory.url, {"country": "GB-SCT"})
    assert services_listed(response) == ["Violence line SCT"]
    assert 'data-code="GB-SCT"' in response.content.decode()


def test_the_united_kingdom_on_the_map_takes_in_its_nations(client, members, directory):
    soup = BeautifulSoup(client.get(directory.url).content, "html.parser")
    uk = soup.select_one('svg a[data-code="GB"]')
    assert uk["aria-label"] == "United Kingdom: 1 service"
    response = client.get(directory.url, {"country": "GB"})
    assert services_listed(response) == ["Violence line SCT"]


def test_invalid_filter_value_is_explained_and_ignored(client, members, directory):
    # An old shared link: the unknown value is left out, the valid filter still applies.
    response = client.get(directory.url, {"victim_type": "no-such-term", "country": "FR"})
    assert response.status_code == 200
    assert services_listed(response) == ["Court help FR", "Violence line FR"]
    page = BeautifulSoup(response.content, "html.parser")
    field = page.select_one("select[name=victim_type]")
    assert field["aria-invalid"] == "true"
    error = page.select_one(f"#{field['aria-describedby']}")
    assert "it was left out" in error.text
    response = client.get(directory.url, {"country": "ZZ", "language": "en"})
    assert services_listed(response) == ["Court help DE", "Violence line SCT"]
    assert "No member works in “ZZ”: showing every country." in response.content.decode()


def test_the_map_stays_a_way_to_choose_another_country(client, members, directory):
    response = client.get(directory.url, {"country": "FR"})
    assert services_listed(response) == ["Court help FR", "Violence line FR"]
    svg = BeautifulSoup(response.content, "html.parser").select_one("svg.vse-map")
    areas = {a["data-code"]: a for a in svg.select("a.vse-map__area")}
    assert areas["FR"].get("aria-current") == "true"
    assert areas["DE"]["href"] == "?country=DE"  # the other member countries are still links
    assert len(areas) > 2
    # The other filters still narrow the map: France has no English service.
    html = client.get(directory.url, {"country": "DE", "language": "en"}).content.decode()
    assert 'data-code="DE"' in html and 'data-code="FR"' not in html


def test_a_selected_country_outside_europe_opens_the_world_view(client, members, directory):
    make_member_with_services(directory, "Help Boston", "US", services=[{"name": "Court help US"}])
    svg = BeautifulSoup(client.get(directory.url, {"country": "US"}).content, "html.parser").select_one("svg")
    assert svg["data-view"] == "world" and svg["viewbox"] == svg["data-viewbox-world"]
    svg = BeautifulSoup(client.get(directory.url, {"country": "DE"}).content, "html.parser").select_one("svg")
    assert svg["data-view"] == "europe" and svg["viewbox"] == svg["data-viewbox-europe"]


def test_partial_results_for_filtering_without_reload(client, members, directory):
    response = client.get(directory.url, {"country": "DE"}, headers={"X-Requested-With": "vse-directory"})
    html = response.content.decode()
    assert "<html" not in html and "data-vse-results" in html
    assert services_listed(response) == ["Court help DE"]


def test_map_links_keep_the_other_filters(client, members, directory):
    html = client.get(directory.url, {"language": "en"}).content.decode()
    assert 'href="?language=en&amp;country=DE"' in html
    assert 'href="?language=en&amp;country=FR"' not in html  # France has no English service: not a link


# Privacy of locations and third-party requests ---------------------------------------------


def test_hidden_location_never_reaches_a_page(client, members, directory):
    for url in (directory.url, members["FR"].url, f"{directory.url}?country=FR"):
        html = client.get(url).content.decode()
        assert HIDDEN_ADDRESS not in html and HIDDEN_NAME not in html


def test_city_only_location_shows_no_street(client, members):
    html = client.get(members["FR"].url).content.decode()
    assert "Villeurbanne" in html and "9 Rue Cachée" not in html
    assert "1 Rue Claire" in html


RESOURCE_URL = re.compile(r"""(?:src|srcset|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)
LINK_TAG = re.compile(r"<link\b[^>]*>", re.IGNORECASE)


def test_public_pages_load_nothing_from_another_host(client, members, directory):
    # Links a visitor may follow (a member's website) are navigation, not requests the page makes.
    for url in (directory.url, members["FR"].url):
        html = client.get(url).content.decode()
        assert not RESOURCE_URL.search(html)
        for tag in LINK_TAG.findall(html):
            assert not re.search(r"""href\s*=\s*["']?\s*(?:https?:)?//""", tag, re.IGNORECASE), tag
        assert "@import" not in html and "url(http" not in html


def test_tile_background_is_opt_in_and_credited(client, members, directory, settings):
    html = client.get(directory.url).content.decode()
    assert "<image" not in html and "Background:" not in html
    settings.VSE_REFERRALS_MAP_TILES = {
        "url": "https://tiles.example.org/{z}/{x}/{y}.png",
        "attribution": "© Example tile makers",
        "attribution_url": "https://tiles.example.org/copyright",
    }
    page = BeautifulSoup(client.get(directory.url).content, "html.parser")
    tiles = [image["href"] for image in page.select("svg.vse-map--tiles g.vse-map__tiles image")]
    assert tiles and all(url.startswith("https://tiles.example.org/") for url in tiles)
    credit = page.select_one(".vse-map__attribution a")
    assert credit.text == "© Example tile makers" and credit["href"] == "https://tiles.example.org/copyright"
    assert "noreferrer" in credit["rel"]
    # The tile host learns a visitor's address, never which page or filter they looked at.
    assert page.select_one('meta[name="referrer"]')["content"] == "same-origin"
    # The in-page update carries the same tiles; profiles have no map and so no tiles.
    partial = client.get(directory.url, {"language": "en"}, headers={"X-Requested-With": "vse-directory"})
    assert "https://tiles.example.org/2/" in partial.content.decode()
    assert "tiles.example.org" not in client.get(members["FR"].url).content.decode()


def test_refer_link_only_for_other_members_contact_points(client, members, org_a, org_b):
    page = members["DE"]
    page.organisation = org_b
    page.save_revision().publish()
    assert "Refer a victim to this member" not in client.get(page.url).content.decode()
    client.force_login(builders.make_contact_point(org_a))
    html = client.get(page.url).content.decode()
    assert "Refer a victim to this member" in html and f"/admin/referrals/new/?to={org_b.pk}" in html
    client.force_login(builders.make_contact_point(org_b, builders.ContactPoint.Role.DEPUTY, ends_in=timedelta(days=3)))
    assert "Refer a victim to this member" not in client.get(page.url).content.decode()


def test_refer_url_tag(rf, members, org_a, org_b, django_assert_num_queries):
    page = members["DE"]
    request = rf.get(page.url)
    request.user = builders.make_contact_point(org_a)
    with django_assert_num_queries(0):
        assert refer_url(request, page) == ""  # a profile without an organisation asks nobody's
    page.organisation = org_b
    assert refer_url(request, page) == f"/admin/referrals/new/?to={org_b.pk}"
    page.organisation = org_a
    assert refer_url(request, page) == ""  # not to oneself
    page.organisation = org_b
    request.user = AnonymousUser()
    assert refer_url(request, page) == ""
    request.user = builders.make_user("not-a-contact-point")
    assert refer_url(request, page) == ""


# Query counts ----------------------------------------------------------------------------------


def directory_queries(client, directory, count, start):
    make_members(directory, count, start=start)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(directory.url, {"language": "en"})
    assert response.status_code == 200
    return len(queries)


def test_directory_query_count_does_not_grow_with_members(client, directory):
    few = directory_queries(client, directory, 5, 0)
    many = directory_queries(client, directory, 95, 5)
    assert MemberOrganisationPage.objects.count() == 100
    assert few == many
    assert len(listed_members(client.get(directory.url))) == 20  # one page of the default size


# Pagination ------------------------------------------------------------------------------------


def listed_members(response):
    return [heading.text.strip() for heading in BeautifulSoup(response.content, "html.parser").select(".vse-member h3")]


def page_links(response):
    """The pagination's links: {text read aloud ("Page 2", "Next"...): query string}."""
    nav = BeautifulSoup(response.content, "html.parser").select_one("nav.vse-pagination")
    return {" ".join(link.text.split()): QueryDict(link["href"].removeprefix("?")) for link in nav.select("a")}


@pytest.fixture
def five_members(directory, settings):
    """Five members on three pages of two. The list is by country: DE, FR, IE, PT, SE."""
    settings.VSE_REFERRALS_DIRECTORY_PAGE_SIZE = 2
    make_members(directory, 5, countries=("FR", "DE", "SE", "PT", "IE"))
    return ["Member 001", "Member 000", "Member 004", "Member 003", "Member 002"]


def test_the_list_shows_one_page_of_members_at_a_time(client, directory, five_members):
    first = client.get(directory.url)
    assert listed_members(first) == five_members[:2]
    assert "Showing 1–2 of 5 members" in first.content.decode()
    second = client.get(directory.url, {"page": 2})
    assert listed_members(second) == five_members[2:4]
    html = second.content.decode()
    assert "Showing 3–4 of 5 members" in html and "5 services found" in html  # the heading counts every match
    assert listed_members(client.get(directory.url, {"page": 3})) == five_members[4:]


def test_a_single_page_has_no_page_links(client, directory, five_members, settings):
    settings.VSE_REFERRALS_DIRECTORY_PAGE_SIZE = 5
    response = client.get(directory.url)
    assert listed_members(response) == five_members
    html = response.content.decode()
    assert "vse-pagination" not in html and "Showing" not in html


def test_page_links_keep_the_filters(client, directory, five_members):
    filters = {"language": "en", "victim_type": "all-victims-of-crime"}
    response = client.get(directory.url, {**filters, "page": 2})
    links = page_links(response)
    assert set(links) == {"Previous", "Page 1", "Page 2", "Page 3", "Next"}
    for query in links.values():
        assert {name: query[name] for name in filters} == filters
    assert (links["Previous"]["page"], links["Next"]["page"]) == ("1", "3")
    current = BeautifulSoup(response.content, "html.parser").select_one('.vse-pagination [aria-current="page"]')
    assert " ".join(current.text.split()) == "Page 2"
    # A page link is a shareable address of that page of the filtered list.
    assert listed_members(client.get(directory.url, links["Next"])) == five_members[4:]


@pytest.mark.parametrize("number, shown", [("abc", slice(0, 2)), ("1.5", slice(0, 2)), ("99", slice(4, 5))])
def test_a_bad_page_number_gives_the_first_or_the_last_page(client, directory, five_members, number, shown):
    response = client.get(directory.url, {"page": number})
    assert response.status_code == 200
    assert listed_members(response) == five_members[shown]


def test_the_map_counts_every_member_while_the_list_shows_one_page(client, directory, five_members):
    response = client.get(directory.url, {"language": "en", "page": 3})
    assert listed_members(response) == five_members[4:]
    svg = BeautifulSoup(response.content, "html.parser").select_one("svg.vse-map")
    areas = {area["data-code"]: area for area in svg.select("a.vse-map__area")}
    assert set(areas) == {"FR", "DE", "SE", "PT", "IE"}
    assert areas["DE"]["aria-label"] == "Germany: 1 service"
    # A country chosen on the map starts on the first page of its members, with the other filters.
    assert areas["DE"]["href"] == "?language=en&country=DE"


def test_the_results_for_the_filter_script_carry_their_page_links(client, directory, five_members):
    response = client.get(directory.url, {"page": 2}, headers={"X-Requested-With": "vse-directory"})
    html = response.content.decode()
    assert "<html" not in html and "data-vse-pagination" in html
    assert listed_members(response) == five_members[2:4]
    assert page_links(response)["Next"]["page"] == "3"


def test_the_range_of_members_is_translated(client, directory, five_members):
    # No French tree yet: the French address shows the original pages in a French interface.
    response = client.get("/fr" + directory.url, {"page": 2})
    assert "Affichage de 3 à 4 sur 5 membres" in response.content.decode()
    assert set(page_links(response)) == {"Précédente", "Page 1", "Page 2", "Page 3", "Suivante"}


def test_countries_served_are_filterable(client, members, directory):
    service = members["FR"].services.get(name="Court help FR")
    service.countries_served = ["FR", "BE"]
    service.save()
    response = client.get(directory.url, {"country": "BE"})
    assert response.status_code == 200
    assert services_listed(response) == ["Court help FR"]


class EditorTests(WagtailPageTestCase):
    """An editor adds a member with a service in the page editor; it is on the map once published."""

    def setUp(self):
        root = Site.objects.get(is_default_site=True).root_page
        self.directory = root.add_child(instance=MemberDirectoryPage(title="Find support", slug="find-support"))
        self.client.force_login(
            self.create_test_user()
        )  # Wagtail's login() signs in without a request, which axes refuses

    def member_form_data(self, slug):
        """What the page editor posts for a new member with one service."""
        dutch = Language.objects.get(code="nl").pk
        data = nested_form_data(
            {
                "title": "Slachtofferhulp Gent",
                "slug": slug,
                "country": "BE",
                "region": "",
                "summary": "Support for victims in Ghent.",
                "description": rich_text(""),
                "website": "",
                "email": "",
                "organisation": "",
                "last_verified": timezone.localdate().isoformat(),
                "services": inline_formset(
                    [
                        {
                            "name": "Walk-in help Gent",
                            "description": "",
                            "capacity_notes": "",
                            "paid_staff": "4",
                            "volunteers": "",
                            "training": "",
                            "funding_notes": "",
                            "free_of_charge": "on",
                            "eligibility": "",
                        }
                    ]
                ),
                "helplines": inline_formset([]),
                "locations": inline_formset([]),
            }
        )
        # Multiple choices as a browser posts them: one key, several values (nested_form_data nests lists).
        data.update(
            {
                "languages": [dutch],
                "services-0-assistance_forms": [term(AssistanceForm, "emotional-support").pk],
                "services-0-victim_types": [term(VictimType, "all-victims-of-crime").pk],
                "services-0-access_channels": [term(AccessChannel, "walk-in-centre").pk],
                "services-0-countries_served": ["BE"],
                "services-0-languages": [dutch],
            }
        )
        return data

    def test_editor_adds_a_member_with_a_service_and_it_reaches_the_map(self):
        self.assertCanCreate(self.directory, MemberOrganisationPage, self.member_form_data("slachtofferhulp-gent"))
        page = MemberOrganisationPage.objects.get(slug="slachtofferhulp-gent")
        service = page.services.get()
        self.assertEqual([form.code for form in service.assistance_forms.all()], ["emotional-support"])
        html = self.client.get(self.directory.url, {"country": "BE"}).content.decode()
        self.assertIn("Walk-in help Gent", html)
        self.assertIn('data-code="BE"', html)

    def test_a_profile_cannot_take_the_address_of_the_api(self):
        url = reverse("wagtailadmin_pages:add", args=("vse_referrals", "memberorganisationpage", self.directory.pk))
        response = self.client.post(url, self.member_form_data("api"))
        self.assertEqual(response.status_code, 200)
        self.assertIn("choose another slug", str(response.context["form"].errors["slug"]))
        self.assertFalse(MemberOrganisationPage.objects.exists())
        self.assertEqual(MemberDirectoryPage.reserved_slugs(), {"api"})
        with self.assertRaises(ValidationError):
            make_member_with_services(self.directory, "API", "BE")  # the slug "api" from the title
        # The API still answers at its address.
        self.assertEqual(self.client.get(f"{self.directory.url}api/").json()["version"], "3.0")

    def test_directory_and_profile_are_routable_and_renderable(self):
        page = make_member_with_services(self.directory, "Hulp Brussel", "BE", services=[{"name": "Court help BE"}])
        self.assertPageIsRoutable(self.directory)
        self.assertPageIsRenderable(self.directory)
        self.assertPageIsRoutable(page)
        self.assertPageIsRenderable(page)
        self.assertPageIsEditable(page)


def test_shipped_css_and_js_name_no_other_host():
    from pathlib import Path

    import vse_referrals

    static = Path(vse_referrals.__file__).parent / "static"
    files = [*static.rglob("*.css"), *static.rglob("*.js")]
    assert len(files) >= 6
    for path in files:
        text = path.read_text()
        assert not re.search(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text, re.IGNORECASE), path


def test_editors_see_stale_profiles_on_their_dashboard(client, members):
    from django.contrib.auth.models import Group

    editor = builders.make_user("page-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    html = client.get("/admin/").content.decode()
    assert "Member profiles to verify" in html and "Support Glasgow" in html
    assert "Aide Lyon" not in html  # verified recently
    client.force_login(builders.make_user("no-pages"))
    assert "Member profiles to verify" not in client.get("/admin/").content.decode()


def test_helpline_facts_read_as_a_list_without_stray_separators(client, members):
    page = members["DE"]
    MemberHelpline.objects.create(page=page, label="Court line", number="0800 123", free=True)
    night = MemberHelpline.objects.create(
        page=page, label="Night line", number="0800 456", free=False, hours="<b>9-17</b>"
    )
    night.languages.set(Language.objects.filter(code__in=["de", "en"]))
    night.save()
    soup = BeautifulSoup(client.get(page.url).content, "html.parser")
    facts = [" ".join(li.select_one(".vse-muted").text.split()) for li in soup.select(".vse-helplines li")]
    assert facts == ["free to call", "<b>9-17</b> · English, German"]  # the hours are text, not markup


def test_less_used_filters_are_folded_unless_in_use(client, members, directory):
    details = BeautifulSoup(client.get(directory.url).content, "html.parser").select_one("details.vse-more-filters")
    assert not details.has_attr("open")
    assert {field["name"] for field in details.select("select, input")} == {"access", "accessibility", "open_24_7"}
    response = client.get(directory.url, {"open_24_7": "on"})
    assert BeautifulSoup(response.content, "html.parser").select_one("details.vse-more-filters").has_attr("open")
    assert services_listed(response) == ["Violence line FR", "Violence line SCT"]


def test_the_page_and_its_results_are_cached_apart(client, members, directory):
    # Same URL, two representations: a cache (and Back) must tell them apart.
    full = client.get(directory.url, {"language": "en"})
    partial = client.get(directory.url, {"language": "en"}, headers={"X-Requested-With": "vse-directory"})
    assert "<html" in full.content.decode() and "<html" not in partial.content.decode()
    for response in (full, partial):
        assert "X-Requested-With" in response["Vary"]
