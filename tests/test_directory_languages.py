"""The directory in several languages (issue 13): translated profiles and vocabularies through
wagtail-localize, language-prefixed addresses, the switcher, the fallback to the original
language, and the HSDS API, the map and the filters in the page's language."""

import csv
import uuid

import pytest
from bs4 import BeautifulSoup
from django.core.exceptions import ValidationError
from django.utils import translation
from wagtail_localize.models import String

from vse_referrals.models import LocationVisibility, MemberOrganisationPage, VictimType

from . import builders
from .test_directory_report import REPORT_URL, csv_text

pytestmark = pytest.mark.django_db

FRENCH_SUMMARY = "Aide gratuite pour les victimes en France."


def soup(response):
    assert response.status_code == 200, response.status_code
    return BeautifulSoup(response.content, "html.parser")


@pytest.fixture
def directory(db):
    return builders.make_directory()


@pytest.fixture
def members(directory):
    """A French member translated into French, a German one left in English only."""
    translated = builders.make_member_with_services(
        directory,
        "Aide aux victimes",
        "FR",
        services=[{"name": "Court support", "victims": ["domestic-violence"], "languages": ["en", "ar"]}],
    )
    untranslated = builders.make_member_with_services(
        directory, "Opferhilfe", "DE", services=[{"name": "Helpline", "victims": ["domestic-violence"]}]
    )
    builders.make_helpline(translated, languages=["en"])
    for page in (translated, untranslated):
        page.save_revision().publish()
    french = builders.add_language("fr")
    builders.translate(
        VictimType.objects.originals().get(code="domestic-violence"),
        french,
        {"Domestic violence": "Violences conjugales"},
    )
    builders.translate(directory, french, {directory.title: "Trouver de l'aide"})
    builders.translate(
        translated,
        french,
        {"Support for victims in FR.": FRENCH_SUMMARY, "Court support": "Accompagnement au tribunal"},
    )
    return {"translated": translated, "untranslated": untranslated, "fr": french}


def french(page, members):
    return page.get_translation(members["fr"])


def test_a_translated_profile_is_served_in_its_language_at_a_prefixed_address(client, members):
    page = french(members["translated"], members)
    assert page.url.startswith("/fr/") and page.alias_of_id is None
    html = soup(client.get(page.url))
    assert html.html["lang"] == "fr"
    assert FRENCH_SUMMARY in html.text and "Accompagnement au tribunal" in html.text
    assert "Violences conjugales" in html.text and "Domestic violence" not in html.text
    assert "Support for victims in FR." not in html.text
    assert "Arabe" in html.text  # language names from Django's catalogues, in French
    assert not html.select(".vse-notice")  # translated and recently verified: nothing to warn about


def test_the_original_stays_in_its_own_language(client, members):
    html = soup(client.get(members["translated"].url))
    assert html.html["lang"] == "en"
    assert "Support for victims in FR." in html.text and "Domestic violence" in html.text
    assert FRENCH_SUMMARY not in html.text


def test_the_switcher_links_each_language_of_the_page(client, members):
    page = french(members["translated"], members)
    links = soup(client.get(page.url)).select(".vse-languages a")
    assert {link["hreflang"]: link["href"] for link in links} == {
        "en": members["translated"].url,
        "fr": page.url,
    }
    # Each language named in itself, the current one marked.
    assert {link["hreflang"]: link.text for link in links} == {"en": "English", "fr": "français"}
    assert [link["hreflang"] for link in links if link.get("aria-current") == "page"] == ["fr"]


def test_the_switcher_of_the_directory_keeps_the_filters(client, members, directory):
    links = soup(client.get(directory.url, {"victim_type": "domestic-violence"})).select(".vse-languages a")
    hrefs = {link["hreflang"]: link["href"] for link in links}
    assert hrefs["fr"] == "/fr" + directory.url + "?victim_type=domestic-violence"


def test_an_untranslated_profile_falls_back_to_its_original_language_and_says_so(client, members):
    page = french(members["untranslated"], members)
    assert page is not None and page.alias_of_id == members["untranslated"].pk  # kept by wagtail-localize
    html = soup(client.get(page.url))
    assert html.html["lang"] == "fr"
    notice = " ".join(html.select_one(".vse-notice").text.split())
    with translation.override("fr"):
        expected = translation.gettext(
            "This profile has not been translated into your language yet: it is shown in its original language "
            "(%(language)s)."
        ) % {"language": "Anglais"}
    assert notice == expected
    assert html.select_one("h1")["lang"] == "en"  # screen readers read the English text as English


def test_a_page_in_one_language_only_offers_no_switcher(client, directory):
    page = builders.make_member(directory, "Only English")
    assert soup(client.get(page.url)).select(".vse-languages") == []


def test_the_french_directory_lists_every_member_with_french_filters_and_countries(client, members, directory):
    french_directory = french(directory, members)
    html = soup(client.get(french_directory.url))
    titles = [heading.text.strip() for heading in html.select(".vse-member h3")]
    assert sorted(titles) == ["Aide aux victimes", "Opferhilfe"]
    labels = [option.text for option in html.select("select[name=victim_type] option")]
    assert "Violences conjugales" in labels and "Domestic violence" not in labels
    countries = [option.text for option in html.select("select[name=country] option")]
    assert "Allemagne" in countries and "Germany" not in countries


def test_a_filter_link_works_in_every_language(client, members, directory):
    """Terms are chosen by code, which their translations share: the same query in French finds the
    translated profile (linking the French term) and the untranslated one (linking the English)."""
    french_directory = french(directory, members)
    html = soup(client.get(french_directory.url, {"victim_type": "domestic-violence"}))
    assert len(html.select(".vse-member")) == 2
    assert not html.select(".errorlist")


def test_the_map_data_follows_the_page_language(client, members, directory):
    data = client.get(french(directory, members).url + "api/map/").json()
    assert {member["url"] for member in data["members"]} == {
        french(members["translated"], members).url,
        french(members["untranslated"], members).url,
    }
    assert data["areas"] == {"FR": 1, "DE": 1}


def test_the_hsds_record_of_a_translated_profile_is_in_its_language_with_the_same_id(client, members, directory):
    original = members["translated"]
    path = f"api/organizations/{original.hsds_id}/"
    english = client.get(directory.url + path).json()
    french_record = client.get(french(directory, members).url + path).json()
    assert english["id"] == french_record["id"] == str(original.hsds_id)
    assert english["name"] == french_record["name"] == "Aide aux victimes"
    assert english["description"] == "Support for victims in FR."
    assert french_record["description"] == FRENCH_SUMMARY
    (service,) = french_record["services"]
    assert service["name"] == "Accompagnement au tribunal"
    assert service["id"] == str(original.services.get().hsds_id)


def test_hsds_names_and_languages_follow_the_page_language(client, members, directory):
    service_id = members["translated"].services.get().hsds_id
    french_record = client.get(french(directory, members).url + f"api/services/{service_id}/").json()
    assert {(language["code"], language["name"]) for language in french_record["languages"]} == {
        ("en", "Anglais"),
        ("ar", "Arabe"),
    }
    terms = [attribute["taxonomy_term"]["name"] for attribute in french_record["attributes"]]
    assert "Violences conjugales" in terms and "Domestic violence" not in terms
    english_record = client.get(directory.url + f"api/services/{service_id}/").json()
    assert {language["name"] for language in english_record["languages"]} == {"English", "Arabic"}


def test_copying_a_profile_gives_new_hsds_ids_translating_keeps_them(members, directory):
    original = members["translated"]
    copy = original.copy(to=directory, update_attrs={"slug": "copy", "title": "Copy"})
    assert copy.hsds_id != original.hsds_id
    assert copy.services.get().hsds_id != original.services.get().hsds_id
    translated = french(original, members)
    assert translated.hsds_id == original.hsds_id
    assert translated.services.get().hsds_id == original.services.get().hsds_id


def test_an_organisation_has_one_profile_whatever_its_languages(members, directory, org_a):
    original = members["translated"]
    original.organisation = org_a
    original.save_revision().publish()
    translated = french(original, members)
    translated.organisation = org_a
    translated.full_clean()  # its translation links the same organisation
    other = MemberOrganisationPage(title="Another", slug="another", country="FR", summary="x", organisation=org_a)
    other.translation_key = uuid.uuid4()
    with pytest.raises(ValidationError) as error:
        directory.add_child(instance=other)
    assert "organisation" in error.value.message_dict


def test_a_hidden_address_never_enters_the_translation_strings(directory):
    page = builders.make_member(directory, "Refuge")
    builders.make_location(page, **builders.HIDDEN, visibility=LocationVisibility.HIDDEN)
    builders.make_helpline(page, number="+33 1 23 45 67 89")
    page.save_revision().publish()
    french = builders.add_language("fr")
    translated = builders.translate(page, french, {builders.HIDDEN["name"]: "Refuge des Tilleuls (fr)"})
    stored = " ".join(String.objects.values_list("data", flat=True))
    assert builders.HIDDEN["name"] in stored  # the location's name is translated...
    for private in (builders.HIDDEN["address"], builders.HIDDEN["postal_code"], "+33 1 23 45 67 89"):
        assert private not in stored  # ...its address and the helpline's number are copied, not translated
    location = translated.locations.get()
    assert (location.name, location.address) == ("Refuge des Tilleuls (fr)", builders.HIDDEN["address"])
    assert translated.helplines.get().number == "+33 1 23 45 67 89"


def test_lists_of_profiles_count_each_profile_once_whatever_its_languages(members, directory):
    """The dashboard's stale profiles and the services report list profiles, not their languages."""
    french_only = builders.make_member(french(directory, members), "Accueil des victimes")
    assert french_only.locale == members["fr"]
    originals = MemberOrganisationPage.objects.originals().values_list("pk", flat=True)
    assert set(originals) == {members["translated"].pk, members["untranslated"].pk, french_only.pk}
    assert MemberOrganisationPage.objects.count() == 5  # two of them in French too


def test_the_services_report_has_one_row_per_service(admin_client, members):
    response = admin_client.get(REPORT_URL, {"export": "csv"})
    rows = list(csv.reader(csv_text(response).splitlines()))
    assert len(rows) == 1 + 2  # the header and the two services, not their translations
