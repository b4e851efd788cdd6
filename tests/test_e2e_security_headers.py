"""In Chromium, with the Content-Security-Policy enforced: the directory and a case page report no
violation, and their scripts still work (filters, map, quick exit, the message editor)."""

import re

import pytest
from playwright.sync_api import expect

from . import builders
from .browser import log_in

# Real transactions for the live server; what migrations made is restored before each test.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

# The browser reports each refused script, style, frame or image as a `securitypolicyviolation`
# event; this records them from before the page's own scripts run (Playwright's init scripts are
# not subject to the page's policy).
RECORD_VIOLATIONS = """
window.addEventListener("securitypolicyviolation", (event) => {
  const where = `${event.sourceFile}:${event.lineNumber}`;
  console.error(`CSP violation: ${event.effectiveDirective} ${event.blockedURI} ${where}`);
});
"""


def watch(page):
    """The policy violations `page` reports from now on (the browser's own messages and the events)."""
    violations = []

    def record(message):
        if "Content Security Policy" in message.text or message.text.startswith("CSP violation"):
            violations.append(message.text)

    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", record)
    return violations


def enforced_policy(response):
    header = response.headers["content-security-policy"]
    assert "script-src 'self';" in header + ";" and "object-src 'none'" in header
    return header


def test_directory_and_case_page_run_their_scripts_with_no_violation(browser, live_server, sender, receiver, org_b):
    directory = builders.make_directory("Find support")
    builders.make_member_with_services(
        directory, "Aide Lyon", "FR", services=[{"name": "Court help FR", "victims": ["all-victims-of-crime"]}]
    )
    builders.make_member_with_services(
        directory, "Hilfe Köln", "DE", services=[{"name": "Violence line DE", "victims": ["domestic-violence"]}]
    )
    case = builders.sent_case(sender, org_b)

    # The public directory: filters without reload, the map, the quick exit.
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    violations = watch(page)
    enforced_policy(page.goto(f"{live_server.url}{directory.url}"))
    page.evaluate("window.vseSamePage = true")
    page.locator('svg a[data-code="FR"]').focus()
    page.keyboard.press("Enter")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
    expect(page.locator(".vse-member h3")).to_have_text("Aide Lyon")
    page.select_option("select[name=country]", "")
    expect(page.locator(".vse-list h2")).to_have_text("2 services found")
    page.select_option("select[name=victim_type]", "domestic-violence")
    expect(page.locator(".vse-list h2")).to_have_text("1 service found")
    expect(page.locator(".vse-member h3")).to_have_text("Hilfe Köln")
    assert page.evaluate("window.vseSamePage") is True  # the filter script did it, without a reload
    assert violations == []
    page.get_by_role("link", name="Leave this site quickly").click()
    page.wait_for_url("about:blank")
    page.close()

    # The case page, in the admin: the message editor (Draftail) works.
    page = log_in(browser, live_server, receiver.username)
    violations = watch(page)
    enforced_policy(page.goto(f"{live_server.url}/admin/referrals/{case.pk}/"))
    page.get_by_role("button", name="Accept").click()
    expect(page.locator(".vse-status")).to_have_text("Accepted")
    page.locator("#conversation [contenteditable=true]").click()
    page.keyboard.type("We will call tomorrow.")
    expect(page.locator("#conversation input[name=body]")).to_have_value(re.compile("call tomorrow"))
    assert violations == []
    page.close()
