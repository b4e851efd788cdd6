"""The app's translation catalogues are complete and current, in every language it ships.

- makemessages, run on a copy of the app, finds exactly the strings of the shipped catalogues
  (same conventions: `--no-location --no-obsolete`): a string marked for translation and not yet
  in the catalogues fails here, and so does a catalogue entry nothing uses any more;
- every catalogue but English's translates every entry, none of them fuzzy;
- each compiled .mo holds exactly the translations of its .po (compilemessages was run);
- the JavaScript has no strings of its own (its labels come from the templates, in data-*
  attributes): if it gets some, they need the djangojs catalogues and Django's JavaScriptCatalog.
"""

import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

import vse_referrals

APP_DIR = Path(vse_referrals.__file__).resolve().parent
LOCALE_DIR = APP_DIR / "locale"
SHIPPED_LANGUAGES = ("en", "fr", "de", "es", "it", "pt", "nl", "pl")
SOURCE_LANGUAGE = "en"


def catalogue(language, domain="django"):
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


def keys(po):
    return {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}


@pytest.fixture(scope="module")
def extracted(tmp_path_factory):
    """The catalogues makemessages writes today for a copy of the app: {domain: POFile}."""
    copy = tmp_path_factory.mktemp("catalogues") / "vse_referrals"
    shutil.copytree(APP_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.po", "*.mo"))
    (copy / "locale").mkdir(exist_ok=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(copy)  # makemessages writes into ./locale of the directory it runs in
        for domain in ("django", "djangojs"):
            call_command(
                "makemessages", locale=[SOURCE_LANGUAGE], domain=domain, no_location=True, no_obsolete=True, verbosity=0
            )
    found = {}
    for domain in ("django", "djangojs"):
        path = copy / "locale" / SOURCE_LANGUAGE / "LC_MESSAGES" / f"{domain}.po"
        found[domain] = polib.pofile(str(path)) if path.exists() else polib.POFile()
    return found


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_catalogue_has_every_string_the_app_marks_and_no_other(extracted, language):
    path = catalogue(language)
    assert path.exists(), f"No catalogue for {language}: run makemessages -l {language} and translate it"
    shipped = keys(polib.pofile(str(path)))
    marked = keys(extracted["django"])
    missing = sorted(msgid for _context, msgid in marked - shipped)
    unused = sorted(msgid for _context, msgid in shipped - marked)
    assert missing == [], f"Strings missing from {path.relative_to(APP_DIR)}: run makemessages"
    assert unused == [], f"Strings no longer used in {path.relative_to(APP_DIR)}: run makemessages"


@pytest.mark.parametrize("language", [language for language in SHIPPED_LANGUAGES if language != SOURCE_LANGUAGE])
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    assert catalogue(language).exists(), f"No catalogue for {language}"
    po = polib.pofile(str(catalogue(language)))
    assert [entry.msgid for entry in po.untranslated_entries()] == []
    assert [entry.msgid for entry in po.fuzzy_entries()] == []


@pytest.mark.parametrize("language", SHIPPED_LANGUAGES)
def test_the_compiled_catalogue_matches_its_source(language):
    po_path = catalogue(language)
    mo_path = po_path.with_suffix(".mo")
    assert mo_path.exists(), f"{mo_path.relative_to(APP_DIR)} is missing: run compilemessages"

    def translation(entry):
        if entry.msgstr_plural:
            return tuple(sorted((int(form), text) for form, text in entry.msgstr_plural.items()))
        return entry.msgstr

    # What gettext reads from a .mo: the translated, non-fuzzy entries of the .po (the header aside).
    po = polib.pofile(str(po_path))
    expected = {(entry.msgctxt, entry.msgid): translation(entry) for entry in po.translated_entries() if entry.msgid}
    compiled = {(entry.msgctxt, entry.msgid): translation(entry) for entry in polib.mofile(str(mo_path)) if entry.msgid}
    assert compiled == expected, f"{mo_path.relative_to(APP_DIR)} is out of date: run compilemessages"


def test_the_javascript_has_no_strings_of_its_own(extracted):
    strings = [entry.msgid for entry in extracted["djangojs"]]
    assert strings == [], "JavaScript strings need djangojs catalogues and Django's JavaScriptCatalog"
