"""The VSE office sees no case content: a crawl of the admin with sentinels planted in every
free-text field of several cases (DESIGN.md section 4, "VSE office sees metadata only").

A superuser and a VSE staff member with the overview's permission (and the network's
management permissions) follow every link from the dashboard and from the sidebar menu (its
items are read from the menu's JSON props), breadth first to a bounded depth, GET only; the
app's own listings, reports and exports and each case's Wagtail log are seeded too. No response
(HTML, JSON, CSV, or the XML inside an XLSX) may contain a sentinel, and the crawl must have
reached the referral overview and the organisations listing.
"""

import io
import json
import re
import zipfile
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.contrib.auth.models import Permission
from django.db import models
from django.test import Client, override_settings
from django.urls import NoReverseMatch, reverse

from vse_referrals import workflow
from vse_referrals.models import CaseEvent, ContactPoint, Organisation, ReferralCase

from . import builders
from .url_patterns import app_patterns

SENTINEL = re.compile(rb"SENTINEL\d{4}X")
MAX_DEPTH = 3
MAX_PAGES = 220  # per user: the crawl is bounded, the app's pages are seeded first
SKIPPED = re.compile(r"/logout/|/admin/referrals/|/jsi18n/|/static/|/media/|/documents/\d|/images/\d")
OVERVIEW = reverse("vse_referrals_referralcase_modeladmin_index")
ORGANISATIONS = reverse("vse_referrals_organisation_modeladmin_index")


class Sentinels:
    def __init__(self):
        self.count = 0

    def __call__(self):
        self.count += 1
        return f"SENTINEL{self.count:04d}X"


def case_text_fields():
    return [
        field.name
        for field in ReferralCase._meta.concrete_fields
        if isinstance(field, models.CharField | models.TextField) and field.editable and not field.choices
    ]


@pytest.fixture(scope="module")
def network(django_db_setup, django_db_blocker, tmp_path_factory):
    files = tmp_path_factory.mktemp("crawl-files")
    with builders.kept_for_module(django_db_blocker), override_settings(VSE_REFERRALS_ATTACHMENT_ROOT=files):
        sentinel = Sentinels()
        org_a = builders.make_organisation("Crawl sender", country="FR")
        org_b = builders.make_organisation("Crawl receiver", country="SE")
        sender = builders.make_contact_point(org_a, username="crawl-sender")
        receiver = builders.make_contact_point(org_b, username="crawl-receiver")
        cases = []
        for state in ("draft", "sent", "accepted", "closed", "purged"):
            fields = {name: sentinel() for name in case_text_fields()}
            cases.append(builders.case_in_state(state, sender, receiver, file_name=f"{sentinel()}.pdf", **fields))
        on_hold = builders.case_in_state("accepted", sender, receiver, **{n: sentinel() for n in case_text_fields()})
        for author in (builders.acting(sender), builders.acting(receiver)):
            workflow.add_message(on_hold, author, f"<p>{sentinel()}</p>")
        builders.attach_pdf(on_hold, receiver, name=f"{sentinel()}.pdf")
        workflow.perform(on_hold, "request_information", builders.acting(receiver), reason=sentinel())
        declined = builders.case_in_state("sent", sender, receiver, **{n: sentinel() for n in case_text_fields()})
        workflow.perform(declined, "decline", builders.acting(receiver), reason=sentinel())
        cases += [on_hold, declined]

        staff = builders.make_user("crawl-vse-staff", is_staff=True)
        staff.user_permissions.add(Permission.objects.get(codename="view_referral_metadata"))
        builders.grant_model_permissions(staff, Organisation)
        builders.grant_model_permissions(staff, ContactPoint)
        yield {
            "cases": cases,
            "sentinels": sentinel.count,
            "users": {"superuser": builders.make_superuser("crawl-superuser"), "VSE staff": staff},
        }


class Links(HTMLParser):
    """Same-site links of a page, and the URLs in its JSON props (Wagtail's sidebar menu)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls = []
        self._json = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "a" and attributes.get("href"):
            self.urls.append(attributes["href"])
        if tag == "script" and attributes.get("type") == "application/json":
            self._json = []

    def handle_data(self, data):
        if self._json is not None:
            self._json.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._json is not None:
            try:
                self.urls += list(urls_in(json.loads("".join(self._json))))
            except ValueError:
                pass
            self._json = None


def urls_in(value):
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "url" and isinstance(item, str):
                yield item
            else:
                yield from urls_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from urls_in(item)


def seeds(network):
    """The dashboard, the app's pages that take no argument (with their exports), each case's log."""
    urls = [reverse("wagtailadmin_home")]
    for pattern in app_patterns():
        if pattern.kwargs or pattern.namespace == "vse_referrals":
            continue
        try:
            url = reverse(pattern.name)
        except NoReverseMatch:
            continue
        urls.append(url)
        if pattern.name.endswith(("_modeladmin_index", "_directory_services")):
            urls += [f"{url}?export=csv", f"{url}?export=xlsx"]
    urls += [reverse("vse_referrals_referralcase_modeladmin_history", args=[case.pk]) for case in network["cases"]]
    return urls


def normalise(url, base):
    """A same-site admin URL without its fragment; query strings only for exports."""
    absolute = urljoin(base, url)
    parts = urlsplit(absolute)
    if parts.netloc not in ("", "testserver") or not parts.path.startswith("/admin/"):
        return None
    if SKIPPED.search(parts.path):
        return None
    if parts.query and not parts.query.startswith("export="):
        return parts.path
    return parts.path + (f"?{parts.query}" if parts.query else "")


def body_of(response):
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if content[:2] == b"PK":  # an XLSX: its text is in the XML files inside
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return b"".join(archive.read(name) for name in archive.namelist())
    return content


def crawl(client, start):
    """Breadth-first GETs from `start`; returns {url: body} of the pages read."""
    seen, read = set(start), {}
    queue = deque((url, 0) for url in start)
    while queue and len(read) < MAX_PAGES:
        url, depth = queue.popleft()
        response = client.get(url)
        body = body_of(response)
        read[url] = (response.status_code, body)
        if depth >= MAX_DEPTH or not response.get("Content-Type", "").startswith("text/html"):
            continue
        parser = Links()
        parser.feed(body.decode(errors="replace"))
        for link in parser.urls:
            target = normalise(link, url)
            if target and target not in seen:
                seen.add(target)
                queue.append((target, depth + 1))
    return read


def test_the_sentinels_are_in_the_database(network, db):
    # They are stored (encrypted, so not in plain text): the crawl below is looking for something.
    assert network["sentinels"] > 100
    assert CaseEvent.objects.filter(case__in=network["cases"]).count() > 10


@pytest.mark.parametrize("who", ["superuser", "VSE staff"])
def test_an_admin_crawl_finds_no_case_content(network, db, who):
    client = Client()
    client.force_login(network["users"][who])

    start = seeds(network)
    read = crawl(client, start)

    leaks = [
        f"{url} ({status}): {sorted(set(match.decode() for match in SENTINEL.findall(body)))[:5]}"
        for url, (status, body) in read.items()
        if SENTINEL.search(body)
    ]
    assert not leaks, "\n".join(leaks)
    reached = {url for url, (status, _body) in read.items() if status == 200}
    assert {OVERVIEW, ORGANISATIONS, f"{OVERVIEW}?export=csv", f"{OVERVIEW}?export=xlsx"} <= reached
    assert len(reached) > 40, "the crawl read too few pages to mean anything"
    followed = reached - set(start)
    assert len(followed) > 10, "too few links were followed"
    inspect_prefix = reverse("vse_referrals_organisation_modeladmin_inspect", args=[0]).rsplit("/0/", 1)[0]
    assert any(url.startswith(inspect_prefix) for url in followed), "no organisation was opened from the listing"
