"""The example intranet's identity: Wagtail's branding blocks, the public pages' header and the icon."""

import pytest
from bs4 import BeautifulSoup
from django.contrib.staticfiles import finders
from django.template import Context
from django.template.loader import get_template
from django.templatetags.static import static
from django.test import RequestFactory
from wagtail.models import Site

from .builders import make_directory, make_member_with_services

pytestmark = pytest.mark.django_db

ICONS = {static("intranet/favicon.ico"), static("intranet/favicon.svg")}


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def icons_linked(page):
    return {link["href"] for link in page.select('link[rel="icon"]')}


def test_the_sign_in_page_is_the_vse_intranet_s_not_wagtail_s(client):
    page = soup(client.get("/admin/login/"))
    assert page.title.get_text(strip=True) == "Sign in - VSE intranet"
    assert page.h1.get_text(strip=True) == "Sign in to the VSE intranet"
    assert "Wagtail" not in page.title.get_text() + page.h1.get_text()
    assert page.select_one(".login-logo img")["src"] == static("intranet/favicon.svg")
    assert icons_linked(page) == ICONS


def test_the_admin_carries_the_brand(admin_client):
    page = soup(admin_client.get("/admin/"))
    assert page.title.get_text(strip=True).endswith(" - VSE intranet")
    assert page.h1.get_text(strip=True) == "Welcome to the VSE intranet"
    assert icons_linked(page) == ICONS
    sidebar_logo = page.select_one("template[data-wagtail-sidebar-branding-logo]").decode_contents()
    logo = BeautifulSoup(sidebar_logo, "html.parser")
    assert logo.img["src"] == static("intranet/favicon.svg") and logo.img["alt"] == "VSE intranet"


def test_public_pages_carry_the_brand_and_the_icon(client):
    directory = make_directory("Find support")
    member = make_member_with_services(directory, "Aide Lyon", "FR", services=[{"name": "Court help"}])
    for url in (directory.url, member.url):
        page = soup(client.get(url))
        assert icons_linked(page) == ICONS, url
        brand = page.select_one("header.vse-site-header a")
        assert brand.get_text(strip=True) == "Victim Support Europe" and brand["href"] == "/", url
        # The skip link comes first, the brand next: neither hides the other.
        assert page.body.find("a")["class"] == ["vse-skip"], url


def test_favicon_ico_is_served_from_the_shipped_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302  # not permanent: the static address changes with the file
    assert response["Location"] == static("intranet/favicon.ico")
    for name in ("intranet/favicon.ico", "intranet/favicon.svg"):
        path = finders.find(name)
        assert path, name
    with open(finders.find("intranet/favicon.ico"), "rb") as icon:
        assert icon.read(4) == b"\x00\x00\x01\x00"  # an ICO file's header


def test_without_the_host_s_branding_the_public_pages_name_the_wagtail_site():
    """The app's own public template (as a site without the example intranet renders it)."""
    Site.objects.filter(is_default_site=True).update(site_name="Members' directory")
    template = get_template("vse_referrals/public_base.html")
    # The app's template, not the example intranet's override of it.
    app_template = template.template.engine.find_template("vse_referrals/public_base.html", skip=[template.origin])[0]
    request = RequestFactory().get("/")
    html = app_template.render(Context({"request": request}))
    page = BeautifulSoup(html, "html.parser")
    assert page.select_one("header.vse-site-header a").get_text(strip=True) == "Members' directory"
    assert icons_linked(page) == {"data:,"}  # no icon request unless the host ships one
