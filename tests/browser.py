"""Signing in through the real sign-in form, for the browser tests."""

from playwright.sync_api import expect


def log_in(browser, live_server, username, password="password"):
    """A new page of `browser`, signed in as `username`, on the dashboard."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    expect(page.locator("main")).to_be_visible()
    return page
