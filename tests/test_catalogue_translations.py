"""The translations themselves (vse_referrals/locale, issue 13): every language compiled, each
as complete as the others, placeholders kept, and Django picks the right plural form."""

import gettext
import re
from pathlib import Path

import pytest
from django.utils import translation

import vse_referrals

LOCALE = Path(vse_referrals.__file__).parent / "locale"
# English is the source language: its catalogue lists the strings and translates none of them.
LANGUAGES = sorted(
    path.parent.parent.name for path in LOCALE.glob("*/LC_MESSAGES/django.po") if path.parent.parent.name != "en"
)
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def catalogue(language):
    """The compiled messages: msgfmt leaves untranslated and fuzzy entries out of them.

    Keys are "context\\x04msgid" or msgid, and (msgid, form) for plural entries; the standard
    library keeps them in `_catalog`, as there is no public accessor."""
    with open(LOCALE / language / "LC_MESSAGES" / "django.mo", "rb") as compiled:
        return gettext.GNUTranslations(compiled)


def messages(language):
    return {key if isinstance(key, str) else key[0] for key in catalogue(language)._catalog}


def test_the_languages_of_issue_13_are_shipped():
    assert set(LANGUAGES) >= {"de", "es", "fr", "it", "nl", "pl", "pt"}


def test_every_language_translates_every_message():
    every = set.union(*(messages(language) for language in LANGUAGES))
    missing = {language: sorted(every - messages(language))[:5] for language in LANGUAGES}
    assert not {language: keys for language, keys in missing.items() if keys}


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders_of_the_english(language):
    changed = [
        (key, text)
        for key, text in catalogue(language)._catalog.items()
        if isinstance(key, str)
        and key  # "" is the header; plural forms may drop a count ("File added.")
        and sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(key.split("\x04")[-1]))
    ]
    assert not changed


@pytest.mark.parametrize("language", LANGUAGES)
def test_plural_entries_have_every_form_of_the_language(language):
    compiled = catalogue(language)
    nplurals = int(re.search(r"nplurals=(\d+)", compiled.info()["plural-forms"]).group(1))
    forms = {}
    for key in compiled._catalog:
        if isinstance(key, tuple):
            forms.setdefault(key[0], set()).add(key[1])
    assert forms
    assert all(found == set(range(nplurals)) for found in forms.values())


@pytest.mark.parametrize("language", LANGUAGES)
def test_django_finds_the_catalogue(language):
    with translation.override(language):
        assert translation.gettext("Referrals") != "Referrals"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("es", ["Archivo añadido.", "3 archivos añadidos.", "5 archivos añadidos."]),
        ("pt", ["Ficheiro adicionado.", "3 ficheiros adicionados.", "5 ficheiros adicionados."]),
        ("pl", ["Dodano plik.", "Dodano 3 pliki.", "Dodano 5 plików."]),  # one, few, many
    ],
)
def test_the_plural_form_follows_the_count(language, expected):
    with translation.override(language):
        assert [
            translation.ngettext("File added.", "%(count)s files added.", count) % {"count": count}
            for count in (1, 3, 5)
        ] == expected
