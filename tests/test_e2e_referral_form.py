"""The referral form in Chromium: by keyboard alone from the blank form to "sent", the searchable
languages, the receiver's language support updated live, dates that never block the next control,
and no control wider than a phone or a laptop screen (issue 11, item 3; issue 13, item 4)."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from vse_referrals.models import Language, ReferralCase, Status

from . import builders

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def network(db):
    sweden = builders.make_organisation("Brottsofferstöd Test", country="SE")
    france = builders.make_organisation("Aide aux Victimes Test", country="FR")
    germany = builders.make_organisation("Opferhilfe Test", country="DE")
    france.languages.set(Language.objects.filter(code__in=["fr", "en"]))
    germany.languages.set(Language.objects.filter(code__in=["de", "ar"]))
    sender = builders.make_user("astrid", first_name="Astrid", last_name="Lind")
    builders.designate(sender, sweden)
    return {"sweden": sweden, "france": france, "germany": germany, "sender": sender}


def form_page(browser, live_server, width=1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "astrid")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    expect(page.locator("main")).to_be_visible()
    page.goto(f"{live_server.url}/admin/referrals/new/")
    expect(page.locator("#vse-language-search")).to_be_visible()  # the script has run
    return page


def type_date(page, date):
    """Type `date` into the focused date field as a person would: in the browser's own order."""
    order = page.evaluate(
        """new Intl.DateTimeFormat(navigator.language).formatToParts(new Date(2000, 10, 22))
            .filter((part) => part.type !== "literal").map((part) => part.type)"""
    )
    page.keyboard.type("".join(date.strftime({"day": "%d", "month": "%m", "year": "%Y"}[part]) for part in order))


def tab_to(page, selector, limit=80):
    """Press Tab until `selector` has the focus; how many presses it took."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(selector) => document.activeElement.matches(selector)", selector):
            return presses
    raise AssertionError(f"{selector} not reached in {limit} presses of Tab")


def test_the_referral_is_completed_by_keyboard_alone(browser, live_server, network):
    page = form_page(browser, live_server)
    presses = tab_to(page, "select[name=receiving_organisation]")
    page.keyboard.type("Aide")  # a closed list box selects by typing
    expect(page.locator("select[name=receiving_organisation]")).to_have_value(str(network["france"].pk))

    presses += tab_to(page, "input[name=consent_obtained_on]")
    today = timezone.localdate()
    type_date(page, today)
    expect(page.locator("input[name=consent_obtained_on]")).to_have_value(today.isoformat())
    presses += tab_to(page, "select[name=consent_method]")
    page.keyboard.type("In person")
    expect(page.locator("select[name=consent_method]")).to_have_value("in-person")
    presses += tab_to(page, "input[name=consent_to_share]")
    page.keyboard.press("Space")
    presses += tab_to(page, "input[name=name]")
    page.keyboard.type("Zofia Kowalska")

    presses += tab_to(page, "input[name=safe_to_call][value='']")
    page.keyboard.press("ArrowDown")  # radios: the arrows choose within the group
    expect(page.locator("input[name=safe_to_call][value=True]")).to_be_checked()

    presses += tab_to(page, "#vse-language-search")
    page.keyboard.type("pol")
    page.keyboard.press("Enter")
    page.keyboard.type("fren")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    expect(page.locator(".vse-language-picker__chosen button")).to_have_text(["French ×", "Polish ×"])
    # Past the hundred languages in a few presses: the two chosen ones, then the next question.
    languages_presses = tab_to(page, "input[name=interpreter_needed]")
    assert languages_presses == 3
    presses += languages_presses

    presses += tab_to(page, "input[name=support_needed][value=emotional]")
    page.keyboard.press("Space")
    presses += tab_to(page, "textarea[name=referral_reason]")
    page.keyboard.type("Assaulted on holiday; needs support at home.")
    presses += tab_to(page, "button[value=preview]")
    page.keyboard.press("Enter")

    expect(page.get_by_text("This is exactly what the points of contact of Aide aux Victimes Test")).to_be_visible()
    expect(page.locator(".vse-language-support")).to_contain_text("Polish: not among the languages of")
    presses += tab_to(page, "form[action$='/send/'] button")
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"Referral VSE-\d{4}-\d{5} sent to Aide aux Victimes Test"))).to_be_visible()

    case = ReferralCase.objects.get()
    assert case.status == Status.REQUESTED
    assert case.safe_to_call is True and case.safe_to_leave_message is None
    assert sorted(case.languages.values_list("code", flat=True)) == ["fr", "pl"]
    assert presses < 150  # the whole journey, sidebar and all (137 went on the languages alone before)


def test_the_language_support_follows_the_receiver_and_the_languages(browser, live_server, network):
    page = form_page(browser, live_server)
    support = page.locator("[data-vse-language-support]")
    page.select_option("select[name=receiving_organisation]", str(network["france"].pk))
    expect(support).to_be_hidden()  # no language chosen yet

    page.fill("#vse-language-search", "arab")
    page.get_by_role("listbox").get_by_role("option", name="Arabic").click()
    expect(page.locator("input[name=languages][data-code=ar]")).to_be_checked()
    expect(support).to_have_text(
        "Arabic: not among the languages of Aide aux Victimes Test: consider an interpreter", use_inner_text=True
    )

    page.select_option("select[name=receiving_organisation]", str(network["germany"].pk))
    expect(support).to_have_text("Arabic: supported by Opferhilfe Test", use_inner_text=True)

    page.get_by_role("button", name="Remove Arabic").click()
    expect(page.locator("input[name=languages][data-code=ar]")).not_to_be_checked()
    expect(support).to_be_hidden()


def test_a_typed_date_leaves_the_next_control_usable(browser, live_server, network):
    page = form_page(browser, live_server)
    page.locator("input[name=consent_obtained_on]").focus()
    type_date(page, timezone.datetime(2026, 2, 1))
    page.keyboard.press("Escape")
    page.click("input[name=consent_to_share]")  # the very next click reaches its control
    expect(page.locator("input[name=consent_to_share]")).to_be_checked()
    expect(page.locator("input[name=consent_obtained_on]")).to_have_value("2026-02-01")


@pytest.mark.parametrize("width", [360, 1280])
def test_no_control_is_wider_than_the_screen(browser, live_server, network, width):
    page = form_page(browser, live_server, width)
    expect(page.locator("[data-vse-receiver-filter]")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # Wagtail's main column hides what overflows, so each control is measured too.
    outside = page.evaluate(
        """Array.from(document.querySelectorAll("main :is(input, select, textarea, button, a)"))
            .filter((element) => element.getClientRects().length)
            .filter((element) => {
                const box = element.getBoundingClientRect();
                return box.left < 0 || box.right > window.innerWidth;
            })
            .map((element) => element.name || element.id || element.textContent.trim())"""
    )
    assert outside == []


def test_the_safety_answers_sit_beside_their_radio_buttons_like_the_checkboxes(browser, live_server, network):
    page = form_page(browser, live_server, 360)
    middles = page.evaluate(
        """(selectors) => selectors.map((selector) => {
            const label = document.querySelector(selector);
            const box = (element) => { const r = element.getBoundingClientRect(); return r.top + r.height / 2; };
            const text = document.createRange(); text.selectNodeContents(label.lastChild);
            const rect = text.getBoundingClientRect();
            return [box(label.querySelector("input")), rect.top + rect.height / 2,
                    getComputedStyle(label).fontSize];
        })""",
        ["label[for=id_contact_channels_0]", "label[for=id_safe_to_call_0]"],
    )
    (box_mid, text_mid, checkbox_font), (radio_mid, answer_mid, radio_font) = middles
    assert abs(box_mid - text_mid) <= 2 and abs(radio_mid - answer_mid) <= 2
    assert radio_font == checkbox_font


def test_an_error_on_the_languages_links_to_the_search_box(browser, live_server, network):
    page = form_page(browser, live_server)
    # A language that no longer exists (as a hand-made request would send): the form refuses it.
    page.evaluate(
        """const box = document.querySelector("input[name=languages]");
        box.value = "999999";
        box.checked = true;"""
    )
    page.get_by_role("button", name="Save draft").click()
    link = page.locator("#vse-error-summary a", has_text="Languages the person speaks")
    expect(link).to_have_attribute("href", "#vse-language-search")
    link.click()
    expect(page.locator("#vse-language-search")).to_be_focused()
