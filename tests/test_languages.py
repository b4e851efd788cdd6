"""The interface in every shipped language (issue 13): each kind of page, rendered for a user of
that language, shows no English string of the app; text typed in a right-to-left script renders
in its own direction."""

import re
from pathlib import Path

import django
import polib
import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from wagtail.users.models import UserProfile

from vse_referrals import workflow
from vse_referrals.models import VOCABULARIES, Language
from vse_referrals.models.languages import NAMES_DJANGO_LACKS

from . import builders
from .test_catalogues import SHIPPED_LANGUAGES, SOURCE_LANGUAGE, catalogue

pytestmark = pytest.mark.django_db

ARABIC = "تعرضت للسرقة في المحطة"
HEBREW = "היא צריכה מתורגמן לעברית"
DJANGO_SOURCE_CATALOGUE = Path(django.__file__).parent / "conf/locale/en/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%(\(\w+\))?[sd]|\{")


def speaking(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()
    return user


def english_strings(language):
    """The app's English strings that `language` words differently, long enough not to be a name
    or a word both languages share, and without placeholders (which the page fills)."""
    po = polib.pofile(str(catalogue(language)))
    return {
        entry.msgid
        for entry in po.translated_entries()
        if len(entry.msgid) >= 15 and entry.msgstr != entry.msgid and not PLACEHOLDER.search(entry.msgid)
    }


@pytest.fixture
def pages(client, sender, receiver, org_a, org_b):
    """A page of each kind, by name: its URL, for the sender signed in."""
    directory = builders.make_directory()
    profile = builders.make_member_with_services(
        directory, "Aide", "FR", organisation=org_b, services=[{"name": "Court support", "languages": ["en"]}]
    )
    builders.make_helpline(profile)
    case = builders.case_in_state("sent", sender, receiver)
    return {
        "dashboard": reverse("wagtailadmin_home"),
        "inbox": reverse("vse_referrals:inbox"),
        "referral form": reverse("vse_referrals:refer"),
        "case": reverse("vse_referrals:case", args=[case.pk]),
        "directory": directory.url,
        "profile": profile.url,
    }


@pytest.mark.parametrize("language", [language for language in SHIPPED_LANGUAGES if language != SOURCE_LANGUAGE])
def test_no_page_shows_an_english_string_of_the_app(client, sender, pages, language):
    assert catalogue(language).exists(), f"No catalogue for {language}"
    # The vocabularies are content, which editors translate (snippets); some share a label of the app.
    content = {term.name for vocabulary in VOCABULARIES for term in vocabulary.objects.all()}
    english = english_strings(language) - content
    client.force_login(speaking(sender, language))
    for name, url in pages.items():
        # Public pages take their language from the address; the admin from the account.
        prefix = f"/{language}" if name in ("directory", "profile") else ""
        response = client.get(prefix + url)
        assert response.status_code == 200, (name, response.status_code)
        text = " ".join(BeautifulSoup(response.content, "html.parser").get_text(" ").split())
        assert sorted(string for string in english if string in text) == [], (name, language)


# Right-to-left text ------------------------------------------------------------------------------


def test_right_to_left_case_fields_and_messages_render_in_their_direction(client, sender, receiver):
    case = builders.case_in_state("sent", sender, receiver, circumstances=ARABIC)
    workflow.add_message(case, builders.acting(receiver), f"<p>{HEBREW}</p>")
    client.force_login(sender)
    html = BeautifulSoup(client.get(reverse("vse_referrals:case", args=[case.pk])).content, "html.parser")
    (field,) = [element for element in html.select("dd") if ARABIC in element.text]
    assert field["dir"] == "auto"
    (message,) = [element for element in html.select(".vse-message__body") if HEBREW in element.text]
    assert message["dir"] == "auto"


def test_the_referral_form_types_text_in_its_own_direction(client, sender):
    client.force_login(sender)
    html = BeautifulSoup(client.get(reverse("vse_referrals:refer")).content, "html.parser")
    fields = html.select("form textarea, form input[type=text]")
    assert fields and all(field.get("dir") == "auto" for field in fields)


def test_every_seeded_language_name_has_a_catalogue_to_translate_it():
    # Django's catalogues name most languages; the app's own catalogues carry the rest.
    django_names = {entry.msgid for entry in polib.pofile(str(DJANGO_SOURCE_CATALOGUE))}
    seeded = set(Language.objects.values_list("name", flat=True))
    assert seeded - django_names == set(NAMES_DJANGO_LACKS)
