"""End to end in Chromium: refer a victim, answer, talk, close, and what the VSE office sees.

Drives Debian's Chromium (`/usr/bin/chromium`, or $VSE_CHROMIUM) with Playwright against
pytest-django's live server. `make test` installs Chromium when it is missing.
"""

import re

import pytest
from playwright.sync_api import expect

from vse_referrals.models import ContactPoint, ReferralCase, Status

from . import builders
from .browser import log_in

# Real transactions for the live server; what migrations made is restored before each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def network(db):
    sweden = builders.make_organisation("Brottsofferstöd Test", country="SE")
    france = builders.make_organisation("Aide aux Victimes Test", country="FR")
    sender = builders.make_user("astrid", first_name="Astrid", last_name="Lind")
    receiver = builders.make_user("camille", first_name="Camille", last_name="Durand")
    builders.designate(sender, sweden)
    builders.designate(receiver, france)
    builders.designate(builders.make_user("louis"), france, ContactPoint.Role.DEPUTY)
    admin = builders.make_superuser("vse-office")
    return {"sweden": sweden, "france": france, "sender": sender, "receiver": receiver, "admin": admin}


def test_refer_answer_talk_and_close(browser, live_server, network):
    # The sender refers a victim from the dashboard.
    page = log_in(browser, live_server, "astrid")
    page.get_by_role("link", name="Refer a victim").first.click()
    page.select_option("select[name=receiving_organisation]", str(network["france"].pk))
    page.select_option("select[name=priority]", "urgent")
    page.fill("input[name=consent_obtained_on]", _today())
    page.select_option("select[name=consent_method]", "in-person")
    page.check("input[name=consent_to_share]")
    page.check("input[name=consent_to_contact]")
    page.check("input[name=consent_to_report_back]")
    page.fill("input[name=name]", "Zofia Kowalska")
    page.select_option("select[name=age_band]", "child")
    # The advice shows next to the age as well as next to the priority.
    expect(page.locator("[data-vse-priority-advice]").nth(1)).to_be_visible()
    expect(page.locator("[data-vse-priority-advice]").first).to_be_visible()
    page.check("input[name=support_needed][value=emotional]")
    page.fill("textarea[name=referral_reason]", "Assaulted on holiday; needs support at home.")
    page.get_by_role("button", name="Preview before sending").click()

    expect(
        page.get_by_text("This is exactly what the points of contact of Aide aux Victimes Test will see.")
    ).to_be_visible()
    expect(page.get_by_text("Zofia Kowalska")).to_be_visible()
    expect(page.get_by_text("The victim is a child.")).to_be_visible()
    page.get_by_role("button", name="Send referral").click()
    expect(page.get_by_text(re.compile(r"Referral VSE-\d{4}-\d{5} sent to Aide aux Victimes Test"))).to_be_visible()
    case = ReferralCase.objects.get()
    assert case.status == Status.REQUESTED
    page.close()

    # The receiver sees it on the dashboard, opens, accepts, writes and closes it.
    page = log_in(browser, live_server, "camille")
    panel = page.locator("#vse-referrals-inbox-section, [id^=vse-referrals-inbox]").first
    expect(panel.get_by_role("link", name=case.reference)).to_be_visible()
    panel.get_by_role("link", name=case.reference).click()
    expect(page.locator(".vse-status")).to_have_text("Opened")
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".vse-status")).to_have_text("Accepted")
    editor = page.locator("#conversation [contenteditable=true]")
    editor.click()
    page.keyboard.type("We will call the victim tomorrow morning.")
    # Draftail saves into its hidden input shortly after typing: wait for it, as a person would.
    expect(page.locator("#conversation input[name=body]")).to_have_value(re.compile("tomorrow morning"))
    page.get_by_role("button", name="Send message").click()
    expect(page.locator(".vse-message")).to_contain_text("We will call the victim tomorrow morning.")
    page.locator("summary", has_text="Close with outcome").click()
    page.select_option("details[open] select[name=outcome]", "supported")
    page.fill("details[open] textarea[name=reason]", "Supported; compensation claim filed.")
    page.get_by_role("button", name="Confirm: Close with outcome").click()
    expect(page.locator(".vse-status")).to_have_text("Completed")
    page.close()

    # The sender sees every step and the outcome (the victim agreed to report back).
    page = log_in(browser, live_server, "astrid")
    page.goto(f"{live_server.url}/admin/referrals/{case.pk}/")
    expect(page.locator(".vse-status")).to_have_text("Completed")
    expect(page.get_by_text("Supported; compensation claim filed.")).to_be_visible()
    expect(page.locator(".vse-message")).to_contain_text("We will call the victim tomorrow morning.")
    for step in ("Referral sent", "Referral opened", "Referral accepted", "Case closed"):
        expect(page.locator(".vse-timeline").get_by_text(step, exact=True)).to_be_visible()
    page.close()

    # The VSE office sees the metadata in its overview, and no page of the case.
    page = log_in(browser, live_server, "vse-office")
    page.goto(f"{live_server.url}/admin/vse_referrals/referralcase/")
    expect(page.get_by_text(case.reference)).to_be_visible()
    assert "Zofia" not in page.content()
    response = page.goto(f"{live_server.url}/admin/referrals/{case.pk}/")
    assert response.status == 404
    page.close()


def test_bad_input_keeps_what_was_typed(browser, live_server, network):
    page = log_in(browser, live_server, "astrid")
    page.goto(f"{live_server.url}/admin/referrals/new/")
    page.fill("input[name=name]", "Typed Name Stays")
    page.fill("textarea[name=referral_reason]", "A reason that must survive the error.")
    page.get_by_role("button", name="Preview before sending").click()
    consent_error = "A referral cannot be sent without the victim's consent to share this information."
    # Listed in the summary at the top (with a link to the field) and shown at the field itself.
    expect(page.locator("#vse-error-summary")).to_contain_text(consent_error)
    expect(page.locator(".w-field__errors, .error-message").filter(has_text=consent_error).first).to_be_visible()
    expect(page.locator("input[name=name]")).to_have_value("Typed Name Stays")
    expect(page.locator("textarea[name=referral_reason]")).to_have_value("A reason that must survive the error.")
    assert ReferralCase.objects.get().status == Status.DRAFT


def test_phone_width_case_page_has_no_horizontal_scroll(browser, live_server, network):
    case = builders.sent_case(network["sender"], network["france"])
    page = browser.new_page(viewport={"width": 360, "height": 780})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "camille")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/admin/referrals/{case.pk}/")
    expect(page.get_by_role("button", name="Accept")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 1


def _today():
    from django.utils import timezone

    return timezone.localdate().isoformat()


def test_two_step_verification_on_a_phone(browser, live_server, network, settings):
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    settings.VSE_REFERRALS_TWO_FACTOR_REQUIRED = True
    page = browser.new_page(viewport={"width": 360, "height": 780})
    page.goto(f"{live_server.url}/admin/referrals/")
    page.fill("#id_username", "astrid")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    # First sign-in: set up the app, then the backup codes, then where she was going.
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    expect(page.locator(".vse-two-step__qr svg")).to_be_visible()  # once: the page's icons load too
    assert page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") <= 1
    device = TOTPDevice.objects.get(user=network["sender"])
    page.fill("input[name=code]", str(totp(device.bin_key)).zfill(6))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".vse-two-step__codes li")).to_have_count(10)
    page.get_by_role("link", name="I have kept them: continue").click()
    expect(page).to_have_url(f"{live_server.url}/admin/referrals/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Referrals")
