"""Security headers: a strict Content-Security-Policy on the directory and the case pages, only what
Wagtail needs on top on its own admin pages, a Permissions-Policy on every page, and production
settings that pass `check --deploy` with nothing silenced. The browser test is test_e2e_security_headers.py.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import Client
from django.urls import reverse

from vse_referrals import security_headers

from . import builders

REPO = Path(__file__).resolve().parent.parent

# What every page that is not one of Wagtail's own admin views must carry, directive by directive.
STRICT = {
    "default-src": ["'none'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'none'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
    "connect-src": ["'self'"],
    "font-src": ["'self'"],
    "img-src": ["'self'", "data:"],
}
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb", "browsing-topics", "serial", "hid")


def policy(response):
    """The Content-Security-Policy header as {directive: [sources]}."""
    header = response.headers["Content-Security-Policy"]
    directives = [part.split() for part in header.split(";") if part.strip()]
    parsed = {name: sources for name, *sources in directives}
    assert len(parsed) == len(directives), f"a directive appears twice: {header}"
    return parsed


def assert_strict(response, **extra):
    assert policy(response) == {**STRICT, **extra}


def assert_other_headers(response):
    features = dict(item.split("=", 1) for item in response.headers["Permissions-Policy"].split(", "))
    for feature in DENIED_FEATURES:
        assert features[feature] == "()", feature
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.fixture
def directory(db):
    directory = builders.make_directory("Find support")
    france = builders.make_member_with_services(
        directory, "Aide Lyon", "FR", services=[{"name": "Court help FR", "victims": ["all-victims-of-crime"]}]
    )
    return {"directory": directory, "member": france, "service": france.services.get()}


# Public pages ---------------------------------------------------------------------------------


def public_urls(directory):
    page = directory["directory"].url
    return [
        page,
        page + "?country=FR&victim_type=all-victims-of-crime",
        directory["member"].url,
        page + "api/",
        page + "api/services/",
        f"{page}api/services/{directory['service'].pk}/",
        page + "api/organizations/",
        page + "api/map/",
        "/",
        "/no-such-page/",  # the 404 page
    ]


def test_every_public_page_kind_has_the_strict_policy(client, directory):
    for url in public_urls(directory):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_strict(response)
        assert_other_headers(response)
    # The results the filters fetch without a reload, too.
    response = client.get(directory["directory"].url, {"country": "FR"}, headers={"X-Requested-With": "vse-directory"})
    assert_strict(response)


def test_a_signed_in_editor_sees_public_pages_under_the_same_policy(client, directory):
    # The Wagtail user bar on public pages loads its scripts from the site: nothing is relaxed for it.
    client.force_login(builders.make_superuser())
    response = client.get(directory["member"].url)
    assert b"wagtail-userbar" in response.content
    assert_strict(response)


def test_the_tile_host_may_serve_images_only_when_tiles_are_on(client, directory, settings):
    settings.VSE_REFERRALS_MAP_TILES = {
        "url": "https://tiles.example.org:8443/osm/{z}/{x}/{y}.png",
        "attribution": "© Example tile makers",
    }
    response = client.get(directory["directory"].url)
    assert_strict(response, **{"img-src": ["'self'", "data:", "https://tiles.example.org:8443"]})
    settings.VSE_REFERRALS_MAP_TILES = None
    assert_strict(client.get(directory["directory"].url))


def test_a_page_preview_keeps_the_pages_policy_but_may_be_framed_by_the_admin(directory):
    # Wagtail renders the preview through the middleware with a request of its own, then shows it
    # in a frame of the page editor.
    response = directory["member"].make_preview_request()
    assert response.status_code == 200
    assert_strict(response, **{"frame-ancestors": ["'self'"]})


# Case pages -----------------------------------------------------------------------------------

# The message editor (Draftail) adds <style> elements; style attributes stay refused.
CASE_PAGE_EXTRA = {"style-src-elem": ["'self'", "'unsafe-inline'"]}


def test_case_pages_and_the_referral_form_have_the_strict_policy(sender, receiver, org_b):
    case = builders.sent_case(sender, org_b)
    draft = builders.make_case(case.sending_organisation, org_b, created_by=sender)
    sender_client, receiver_client = Client(), Client()
    sender_client.force_login(sender)
    receiver_client.force_login(receiver)
    pages = [
        (receiver_client, reverse("vse_referrals:case", args=[case.pk])),
        (sender_client, reverse("vse_referrals:case", args=[case.pk])),
        (sender_client, reverse("vse_referrals:refer")),
        (sender_client, reverse("vse_referrals:edit", args=[draft.pk])),
        (sender_client, reverse("vse_referrals:preview", args=[draft.pk])),
        (sender_client, reverse("vse_referrals:inbox")),
    ]
    for client, url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert_strict(response, **CASE_PAGE_EXTRA)
        assert_other_headers(response)
    # The referral form's dates use the browser's own pickers, not Wagtail's inline-script ones.
    html = sender_client.get(reverse("vse_referrals:refer")).content.decode()
    assert 'type="date" name="consent_obtained_on"' in html and "initDateChooser" not in html


def test_a_refused_case_request_has_the_strict_policy_too(client, sender, org_b):
    case = builders.sent_case(sender, org_b)
    client.force_login(builders.make_contact_point(builders.make_organisation("Third member")))
    response = client.get(reverse("vse_referrals:case", args=[case.pk]))
    assert response.status_code == 404
    assert_strict(response, **CASE_PAGE_EXTRA)


# Wagtail's own admin --------------------------------------------------------------------------


def test_the_dashboard_gets_only_what_wagtails_admin_needs(client, sender):
    client.force_login(sender)
    response = client.get(reverse("wagtailadmin_home"))
    assert response.status_code == 200
    directives = policy(response)
    assert directives == {
        **STRICT,
        "script-src": ["'self'", "'unsafe-inline'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:"],
        "frame-src": ["'self'"],
        "frame-ancestors": ["'self'"],
    }
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert_other_headers(response)


def test_the_admin_sign_in_page_has_the_headers(client, db):
    response = client.get(reverse("wagtailadmin_login"))
    assert policy(response)["object-src"] == ["'none'"]
    assert_other_headers(response)


# Templates ------------------------------------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
INLINE_STYLE = re.compile(r"<style\b|<[^>]*\sstyle\s*=", re.IGNORECASE)


def test_no_template_has_inline_script_handler_style_or_javascript_url():
    templates = [
        *(REPO / "vse_referrals" / "templates").rglob("*.html"),
        *(REPO / "example_site").rglob("templates/**/*.html"),
    ]
    assert len(templates) > 20
    for path in templates:
        source = path.read_text()
        for pattern in (INLINE_SCRIPT, EVENT_HANDLER, INLINE_STYLE):
            assert not pattern.search(source), f"{path}: {pattern.search(source).group(0)}"
        assert "javascript:" not in source.lower(), path


def test_the_template_check_finds_what_it_looks_for():
    assert INLINE_SCRIPT.search("<script>alert(1)</script>") and not INLINE_SCRIPT.search('<script src="/a.js">')
    assert EVENT_HANDLER.search('<a href="#" onclick="go()">') and not EVENT_HANDLER.search('<a data-on="x">')
    assert INLINE_STYLE.search('<p style="color: red">') and INLINE_STYLE.search("<style>p {}</style>")


# Start-up check and production settings -------------------------------------------------------


def test_a_site_without_the_headers_is_warned(settings):
    assert "vse_referrals.W005" not in [message.id for message in run_checks()]
    settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != security_headers.MIDDLEWARE]
    assert "vse_referrals.W005" in [message.id for message in run_checks()]


@pytest.mark.parametrize("proxy_hops", [None, "1"], ids=["served-directly", "behind-one-proxy"])
def test_production_settings_pass_the_deployment_checks_with_nothing_silenced(proxy_hops):
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "VSE_REFERRALS_", "DATABASE_URL", "WAGTAIL"))
    }
    env.update(
        # Placeholders for what production.py reads from the environment.
        DJANGO_SETTINGS_MODULE="example_site.settings.production",
        DJANGO_SECRET_KEY="placeholder-secret-key-for-the-deployment-check-" + "x7Q2" * 8,
        DJANGO_ALLOWED_HOSTS="intranet.example.org",
        WAGTAILADMIN_BASE_URL="https://intranet.example.org",
        VSE_REFERRALS_ENCRYPTION_KEYS="Z2y5WmZ0b3ZwT0ZkM0lXbm1qY0lYdWJ2TUpqX2NfVzA=",
    )
    if proxy_hops:  # a reverse proxy in front of Django that appends the client's address
        env["VSE_REFERRALS_PROXY_HOPS"] = proxy_hops
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=REPO / "example_site",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout
