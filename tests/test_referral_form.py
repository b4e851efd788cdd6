"""The referral form as a person meets it (issue 11, item 3; issue 13, item 4).

What is needed to send is marked before anyone submits, each missing answer is listed and linked
to its control, the sections can be jumped to, the safety answers distinguish "not stated" from
"no" (migration 0013 included), and the victim's languages are compared with the receiver's.
"""

import pytest
from bs4 import BeautifulSoup
from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import Locale

from vse_referrals import presentation, workflow
from vse_referrals.forms import REFERRAL_SECTIONS
from vse_referrals.models import Language, ReferralCase, Status

from . import builders
from .test_referral_views import page_text, referral_data

pytestmark = pytest.mark.django_db

REFER_URL = reverse("vse_referrals:refer")


@pytest.fixture
def signed_in_sender(client, sender):
    client.force_login(sender)
    return client


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


# Marked before submitting ----------------------------------------------------------------------


def test_what_is_needed_to_send_is_exactly_what_sending_checks(sender, org_a):
    blank = ReferralCase.objects.create(sending_organisation=org_a)
    assert set(workflow.sending_errors(blank)) == set(workflow.REQUIRED_TO_SEND)


def test_fields_needed_to_send_are_marked_on_a_blank_form(signed_in_sender):
    page = soup(signed_in_sender.get(REFER_URL))
    marked = {wrapper.select_one("[name]")["name"] for wrapper in page.select(".w-field__wrapper.vse-required-to-send")}
    assert marked == set(workflow.REQUIRED_TO_SEND)
    # Announced to assistive technology on every single control (a group of tick-boxes has no one control).
    for name in set(workflow.REQUIRED_TO_SEND) - {"support_needed"}:
        assert page.select_one(f"[name={name}]")["aria-required"] == "true", name
    assert page.select_one("[name=phone]").get("aria-required") is None
    assert "are needed before the referral can be sent" in page_text(signed_in_sender.get(REFER_URL))


@pytest.mark.parametrize("missing", workflow.REQUIRED_TO_SEND)
def test_preview_without_a_needed_answer_keeps_the_draft_and_links_to_the_field(signed_in_sender, org_b, missing):
    data = referral_data(org_b)
    data[missing] = [] if missing == "support_needed" else ""
    if missing == "consent_to_share":
        del data[missing]  # an unticked box is not posted at all
    response = signed_in_sender.post(REFER_URL, data)

    assert response.status_code == 200
    case = ReferralCase.objects.get()
    assert case.status == Status.DRAFT and case.police_reference == data["police_reference"]
    page = soup(response)
    links = page.select("#vse-error-summary a")
    assert len(links) == 1
    target = page.select_one(links[0]["href"])
    assert target is not None and target["name"] == missing  # the link lands on the control itself
    section = next(index for index, (_title, names) in enumerate(REFERRAL_SECTIONS, 1) if missing in names)
    nav_item = page.select_one(f'.vse-form-nav a[href="#vse-form-section-{section}"]').parent
    assert "(1 error)" in nav_item.get_text()
    assert page.select_one(f"#vse-form-section-{section}") is not None


def test_the_section_navigation_links_to_every_section(signed_in_sender):
    page = soup(signed_in_sender.get(REFER_URL))
    targets = [link["href"] for link in page.select(".vse-form-nav a")]
    assert len(targets) == len(REFERRAL_SECTIONS) + 1  # and the files
    for target in targets:
        assert page.select_one(target).name == "fieldset"
    assert not page.select(".vse-form-nav__errors")


# Safety answers: not stated / yes / no ------------------------------------------------------------


@pytest.mark.parametrize(
    ("posted", "stored"), [("", None), ("True", True), ("False", False), ("perhaps", None), (None, None)]
)
def test_safety_answers_are_stored_as_given(signed_in_sender, org_b, posted, stored):
    response = signed_in_sender.post(
        REFER_URL, referral_data(org_b, safe_to_call=posted, safe_to_leave_message=posted, action="draft")
    )
    assert response.status_code == 302
    case = ReferralCase.objects.get()
    # Anything but an explicit yes or no (a hand-made value included) is "not stated", never "no".
    assert (case.safe_to_call, case.safe_to_leave_message) == (stored, stored)


def test_a_new_form_offers_not_stated_checked(signed_in_sender):
    page = soup(signed_in_sender.get(REFER_URL))
    for name in ("safe_to_call", "safe_to_leave_message"):
        radios = page.select(f"input[type=radio][name={name}]")
        assert [(radio["value"], radio.has_attr("checked")) for radio in radios] == [
            ("", True),
            ("True", False),
            ("False", False),
        ]


def _facts(response):
    page = soup(response)
    return {dt.get_text(strip=True): dt.find_next_sibling("dd").get_text(strip=True) for dt in page.select("dt")}


@pytest.mark.parametrize(("answer", "shown"), [(None, "Not stated"), (True, "Yes"), (False, "No")])
def test_the_receiver_reads_not_stated_not_no(client, sender, receiver, org_b, answer, shown):
    case = builders.sent_case(sender, org_b, safe_to_call=answer, safe_to_leave_message=answer)
    client.force_login(receiver)
    facts = _facts(client.get(reverse("vse_referrals:case", args=[case.pk])))
    assert facts["This number is safe to call"] == shown
    assert facts["It is safe to leave a message"] == shown


# serialized_rollback, like every other transactional test here: a plain flush would recreate the
# content types under new ids on PostgreSQL, which the next test's serialized data then collides with.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_migration_0015_keeps_yes_and_reads_an_unticked_box_as_not_stated():
    executor = MigrationExecutor(connection)
    before, after = [("vse_referrals", "0014_statistics")], [("vse_referrals", "0015_safety_answers_not_stated")]
    executor.migrate(before)
    old_apps = executor.loader.project_state(before).apps
    group = old_apps.get_model("auth", "Group").objects.create(name="Old sender's points of contact")
    organisation = old_apps.get_model("vse_referrals", "Organisation").objects.create(
        name="Old sender", country="FR", contact_points_group=group
    )
    cases = old_apps.get_model("vse_referrals", "ReferralCase").objects
    ticked = cases.create(reference="VSE-OLD-1", sending_organisation=organisation, safe_to_call=True)
    unticked = cases.create(reference="VSE-OLD-2", sending_organisation=organisation, safe_to_leave_message=True)

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    new_cases = executor.loader.project_state(after).apps.get_model("vse_referrals", "ReferralCase").objects
    answers = dict(new_cases.values_list("pk", "safe_to_call").order_by())
    assert answers == {ticked.pk: True, unticked.pk: None}
    assert new_cases.get(pk=unticked.pk).safe_to_leave_message is True
    assert new_cases.get(pk=ticked.pk).safe_to_leave_message is None

    # Reversed, "not stated" is the old unticked box again.
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old_cases = executor.loader.project_state(before).apps.get_model("vse_referrals", "ReferralCase").objects
    assert dict(old_cases.values_list("pk", "safe_to_call").order_by()) == {ticked.pk: True, unticked.pk: False}
    # Forward to the latest again: migration 0016 gives existing rows the default locale, which an
    # earlier test's flush may have removed (Wagtail's own migration created it once).
    Locale.objects.get_or_create(language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes("vse_referrals"))


# The victim's languages against the receiver's ---------------------------------------------------


def test_language_support_says_which_languages_the_receiver_works_in(sender, org_a, org_b):
    french, arabic = Language.objects.get(code="fr"), Language.objects.get(code="ar")
    org_b.languages.set([french])
    case = builders.make_case(org_a, org_b, created_by=sender)
    case.languages.set([french, arabic])

    rows = {str(language): (supported, note) for language, supported, note in presentation.language_support(case)}
    assert rows == {
        str(french): (True, "supported by Organisation B"),
        str(arabic): (False, "not among the languages of Organisation B: consider an interpreter"),
    }
    case.receiving_organisation = None
    assert presentation.language_support(case) == []


def test_the_preview_shows_the_language_support(signed_in_sender, sender, org_a, org_b):
    org_b.languages.set([Language.objects.get(code="sv")])
    case = builders.make_case(org_a, org_b, created_by=sender)
    case.languages.set([Language.objects.get(code="ar")])
    page = soup(signed_in_sender.get(reverse("vse_referrals:preview", args=[case.pk])))
    rows = [row.get_text() for row in page.select(".vse-language-support li")]
    assert rows == ["Arabic: not among the languages of Organisation B: consider an interpreter"]


def test_the_form_carries_what_the_page_compares(signed_in_sender, org_b):
    org_b.languages.set([Language.objects.get(code="sv")])
    page = soup(signed_in_sender.get(REFER_URL))
    option = page.select_one(f"select[name=receiving_organisation] option[value='{org_b.pk}']")
    assert option["data-languages"] == "sv" and option["data-name"] == "Organisation B"
    assert page.select_one("input[name=languages][data-code=ar]") is not None
    assert page.select_one("[data-vse-language-support]")["data-vse-supported"] == "supported by %(organisation)s"


def test_the_preview_links_each_missing_answer_to_its_control(signed_in_sender, sender, org_a):
    draft = builders.make_case(org_a, None, created_by=sender, support_needed=[], consent_to_share=False)
    response = signed_in_sender.get(reverse("vse_referrals:preview", args=[draft.pk]))
    edit_url = reverse("vse_referrals:edit", args=[draft.pk])
    links = [link["href"] for link in soup(response).select(".vse-notice--danger a")]
    assert links == [
        f"{edit_url}#id_receiving_organisation",
        f"{edit_url}#id_consent_to_share",
        f"{edit_url}#id_support_needed_0",
    ]
    form = soup(signed_in_sender.get(edit_url))
    for link in links:
        assert form.select_one("#" + link.split("#")[1]) is not None
