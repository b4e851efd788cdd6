"""Accessibility in Chromium: axe-core finds no critical or serious violation (and no moderate one
left unexplained) on every key screen at 1280 and 360 px, which are photographed for the README;
and a keyboard alone leads from the map to a member's profile.

The checks and the screenshots are in tests/accessibility.py.
"""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from vse_referrals import workflow
from vse_referrals.models import ContactPoint

from . import builders
from .accessibility import check_page
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
    builders.make_pending_contact_point(france, ContactPoint.Role.DEPUTY, username="louis")
    builders.make_superuser("vse-office")
    return {"sweden": sweden, "france": france, "sender": sender, "receiver": receiver}


def test_sign_in_and_two_step_pages(browser, live_server, network, settings):
    settings.VSE_REFERRALS_TWO_FACTOR_REQUIRED = True
    page = browser.new_page()
    page.goto(f"{live_server.url}/admin/login/")
    check_page(page, "sign-in")
    page.fill("#id_username", "astrid")
    page.fill("#id_password", "wrong password")
    page.click("button[type=submit]")
    expect(page.locator(".messages, .help-critical, .error-message").first).to_be_visible()
    check_page(page)  # the error as well

    page.fill("#id_username", "astrid")
    page.fill("#id_password", "password")
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="Set up two-step verification")).to_be_visible()
    check_page(page, "two-step-setup")
    device = TOTPDevice.objects.get(user=network["sender"])
    page.fill("input[name=code]", str(totp(device.bin_key)).zfill(6))
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator(".vse-two-step__codes li")).to_have_count(10)
    check_page(page)
    page.close()

    # The next sign-in asks for a code.
    page = log_in(browser, live_server, "astrid")
    expect(page.locator("input[name=code]")).to_be_visible()
    check_page(page, "two-step-verify")
    page.fill("input[name=code]", "000000")
    page.locator("button[type=submit]").click()
    expect(page.locator(".error-message").first).to_be_visible()
    check_page(page)  # a wrong code
    page.close()


def test_pages_of_a_point_of_contact(browser, live_server, network):
    sender, receiver, france = network["sender"], network["receiver"], network["france"]
    case = workflow.perform(builders.sent_case(sender, france), "accept", builders.acting(receiver))
    workflow.add_message(case, builders.acting(receiver), "<p>We will call the victim tomorrow.</p>")
    builders.sent_case(sender, france, priority="routine")
    draft = builders.make_case(network["sweden"], france, created_by=sender)

    page = log_in(browser, live_server, "astrid")
    expect(page.locator("[id^=vse-referrals-inbox]").first).to_be_visible()
    check_page(page, "dashboard")
    for tab in ("action", "incoming", "outgoing", "drafts", "closed"):
        page.goto(f"{live_server.url}/admin/referrals/?tab={tab}")
        check_page(page, "inbox" if tab == "outgoing" else None)
    page.goto(f"{live_server.url}/admin/referrals/new/")
    check_page(page, "referral-form")
    page.get_by_role("button", name="Preview before sending").click()
    expect(page.locator("#vse-error-summary")).to_be_visible()
    check_page(page)  # the form with its errors
    page.goto(f"{live_server.url}/admin/referrals/{draft.pk}/preview/")
    check_page(page, "preview")
    page.goto(f"{live_server.url}/admin/referrals/points-of-contact/")
    check_page(page)
    page.close()

    # The receiving side's case page, with its conversation open for a reply.
    page = log_in(browser, live_server, "camille")
    page.goto(f"{live_server.url}/admin/referrals/{case.pk}/")
    expect(page.locator("#conversation [contenteditable=true]")).to_be_visible()
    check_page(page, "case")
    page.close()


def test_pages_of_the_vse_office(browser, live_server, network):
    builders.sent_case(network["sender"], network["france"])
    page = log_in(browser, live_server, "vse-office")
    expect(page.locator("main")).to_be_visible()
    check_page(page)  # the dashboard, with the designations to confirm
    page.goto(f"{live_server.url}/admin/vse_referrals/referralcase/")
    check_page(page, "overview")
    page.goto(f"{live_server.url}/admin/vse_referrals/organisation/")
    check_page(page, "network-administration")
    page.goto(f"{live_server.url}/admin/vse_referrals/organisation/inspect/{network['france'].pk}/")
    check_page(page)
    page.goto(f"{live_server.url}/admin/vse_referrals/contactpoint/")
    check_page(page)
    page.close()


@pytest.fixture
def directory(live_server):
    return builders.make_example_directory()


def test_public_directory_and_profile(browser, live_server, directory):
    page = browser.new_page()
    page.goto(f"{live_server.url}{directory['directory'].url}")
    check_page(page, "directory")
    page.goto(f"{live_server.url}{directory['directory'].url}?victim_type=domestic-violence")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
    check_page(page, "directory-filtered")
    page.goto(f"{live_server.url}{directory['lyon'].url}")
    check_page(page, "profile")
    page.close()


def test_from_the_map_to_a_profile_by_keyboard_alone(browser, live_server, directory):
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(f"{live_server.url}{directory['directory'].url}")
    germany = page.locator('svg a[data-code="DE"]')
    tab_until(page, germany)
    page.keyboard.press("Enter")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
    member = page.get_by_role("link", name="Opferhilfe Köln")
    tab_until(page, member)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Opferhilfe Köln")


def tab_until(page, target, most=60):
    """Press Tab until `target` has the focus, as a keyboard user would (fails after `most` presses)."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{target} never got the focus in {most} presses of Tab")
