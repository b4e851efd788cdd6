"""Who may reach a referral case: the parties' active contact points, nobody else (DESIGN.md section 4).

Every case URL is tried by every kind of outsider (404, and nothing changes), by the parties
(allowed, side by side with the deny tests) and anonymously (sent to the login page). Then the
VSE office's metadata-only overview, and where case data must never be registered.
"""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Revision, RevisionMixin
from wagtail.search import index
from wagtail.search.models import IndexEntry
from wagtail.test.utils.form_data import rich_text

from vse_referrals import workflow
from vse_referrals.models import (
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    ContactPoint,
    DeadlineAlert,
    EventKind,
    Notification,
    ReferralCase,
    Status,
)

from . import builders

pytestmark = pytest.mark.django_db

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
OVERVIEW_URL = reverse("vse_referrals_referralcase_modeladmin_index")
MESSAGE_FEATURES = ["bold", "italic", "ol", "ul", "link"]


# Helpers ---------------------------------------------------------------------------------------


def pdf_upload(name="statement.pdf"):
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def attach(case, user):
    return workflow.add_attachment(case, builders.acting(user), pdf_upload(), "application/pdf")


def snapshot(case_id):
    """Everything a POST on a case could change, to compare before and after."""
    row = (
        ReferralCase.objects.filter(pk=case_id)
        .values("status", "status_reason", "updated_at", "name", "outcome")
        .first()
    )
    return {
        "case": row,
        "messages": CaseMessage.objects.filter(case_id=case_id).count(),
        "attachments": CaseAttachment.objects.filter(case_id=case_id).count(),
        "events": list(CaseEvent.objects.filter(case_id=case_id).values_list("kind", flat=True)),
        "notifications": Notification.objects.filter(case_id=case_id).count(),
    }


def referral_form_data(receiver, **overrides):
    data = {
        "receiving_organisation": receiver.pk,
        "priority": "urgent",
        "referred_person": "victim",
        "age_band": "unknown",
        "name": "Changed by the request",
        "action": "draft",
    }
    data.update(overrides)
    return data


def transition_data():
    return {"reason": "Because of the request", "outcome": "supported"}


def message_data():
    return {"body": rich_text("<p>Hello from the request</p>", features=MESSAGE_FEATURES)}


def upload_data():
    return {"files": pdf_upload("uploaded-by-request.pdf")}


class Spec:
    """One case URL and the method to use it with; `target` names the case it acts on."""

    def __init__(
        self, label, method, url_name, target, data=None, legitimate=("sender",), allowed_status=(200,), name=None
    ):
        self.label, self.method, self.url_name, self.target = label, method, url_name, target
        self.data, self.legitimate, self.allowed_status, self.name = data, legitimate, allowed_status, name

    def __repr__(self):
        return self.label

    def url(self, world, case=None):
        case = case or world[self.target]
        if self.url_name == "transition":
            return reverse("vse_referrals:transition", args=[case.pk, self.name])
        if self.url_name == "download":
            return reverse("vse_referrals:download", args=[case.pk, case.attachments.get().pk])
        return reverse(f"vse_referrals:{self.url_name}", args=[case.pk])

    def request(self, client, world, case=None):
        url = self.url(world, case)
        if self.method == "get":
            return client.get(url)
        return client.post(url, self.data(world) if self.data else {})


def _transition_spec(name):
    side = workflow.TRANSITIONS[name].side
    # The right side gets a redirect (done, or a conflict message) or the form again (a reason is missing).
    return Spec(
        f"POST transition {name}", "post", "transition", "sent", lambda w: transition_data(), (side,), (200, 302), name
    )


SPECS = [
    Spec("GET case", "get", "case", "sent", legitimate=("sender", "receiver")),
    Spec("GET edit", "get", "edit", "draft"),
    Spec("POST edit", "post", "edit", "draft", lambda w: referral_form_data(w["org_b"]), allowed_status=(302,)),
    Spec("GET preview", "get", "preview", "draft"),
    Spec("POST send", "post", "send", "draft", allowed_status=(302,)),
    Spec("POST discard", "post", "discard", "draft", allowed_status=(302,)),
    *(_transition_spec(name) for name, transition in workflow.TRANSITIONS.items() if transition.manual),
    Spec("POST message", "post", "message", "sent", lambda w: message_data(), ("sender", "receiver"), (302,)),
    Spec("POST upload", "post", "upload", "sent", lambda w: upload_data(), ("sender", "receiver"), (302,)),
    Spec("GET download", "get", "download", "sent", legitimate=("sender", "receiver")),
]

OUTSIDERS = [
    "contact point of a third organisation",
    "superuser",
    "staff",
    "global model permissions",
    "ended contact point of B",
    "scheduled contact point of B",
    "group member without designation",
    "group member of B without designation",
    "page editor",
    "no organisation",
]
NON_CONTACT_POINTS = [who for who in OUTSIDERS if who != "contact point of a third organisation"]


@pytest.fixture
def world(roles, org_a, org_b):
    """A (FR) refers to B (SE); C (DE) is a third member. One sent case and one draft, each with a file."""
    org_c = builders.make_organisation("Organisation Third", country="DE")
    sender, receiver = roles["contact point of A"], roles["contact point of B"]

    editor = builders.make_user("page-editor", admin_access=False)
    editor.groups.add(Group.objects.get(name="Editors"))
    in_b_group = builders.make_user("in-b-group-only")
    in_b_group.groups.add(org_b.contact_points_group)

    sent = builders.sent_case(sender, org_b)
    attach(sent, sender)
    draft = builders.make_case(org_a, org_b, created_by=sender)
    attach(draft, sender)
    users = {
        **roles,
        "sender": sender,
        "receiver": receiver,
        "contact point of a third organisation": builders.make_contact_point(org_c, username="poc-third"),
        "group member of B without designation": in_b_group,
        "page editor": editor,
    }
    return {"users": users, "sent": sent, "draft": draft, "org_a": org_a, "org_b": org_b, "org_c": org_c}


# Every case URL: outsiders get 404 and change nothing -------------------------------------------


@pytest.mark.parametrize("who", OUTSIDERS)
@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_outsiders_get_404_and_change_nothing(client, world, spec, who):
    case = world[spec.target]
    before = snapshot(case.pk)
    client.force_login(world["users"][who])

    response = spec.request(client, world)

    assert response.status_code == 404, f"{who} on {spec.label}"
    assert snapshot(case.pk) == before, f"{who} changed the case with {spec.label}"


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_the_parties_may_use_every_case_url(client, world, spec):
    for side in spec.legitimate:
        client.force_login(world["users"][side])
        response = spec.request(client, world)
        assert response.status_code in spec.allowed_status, f"{side} on {spec.label}: {response.status_code}"


def actor_queries(queries):
    """The queries that ask the access rule which organisations the user acts for (through guardian).

    Telling the other side asks it too, for the other organisation's users: that is not counted."""
    return [
        query
        for query in queries
        if "vse_referrals_organisationgroupobjectpermission" in query["sql"]
        and 'FROM "vse_referrals_organisation"' in query["sql"]
    ]


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_each_case_request_asks_the_access_rule_once(client, world, spec):
    # The actor is resolved once per request and shared by the view, the workflow, the menu item.
    for side in spec.legitimate:
        client.force_login(world["users"][side])
        with CaptureQueriesContext(connection) as queries:
            spec.request(client, world)
        assert len(actor_queries(queries)) == 1, f"{side} on {spec.label}"


@pytest.mark.parametrize(
    "url", [reverse("wagtailadmin_home"), reverse("vse_referrals:inbox"), reverse("vse_referrals:refer")]
)
def test_the_dashboard_inbox_and_form_ask_the_access_rule_once(client, world, url):
    builders.sent_case(world["users"]["contact point of B"], world["org_a"])  # something in the panel
    client.force_login(world["users"]["receiver"])
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(actor_queries(queries)) == 1


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_the_receiver_gets_404_on_the_senders_draft(client, world, spec):
    draft = world["draft"]
    before = snapshot(draft.pk)
    client.force_login(world["users"]["receiver"])

    response = spec.request(client, world, case=draft)

    assert response.status_code == 404
    assert snapshot(draft.pk) == before


@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_anonymous_users_are_sent_to_the_admin_login(client, world, spec):
    case = world[spec.target]
    before = snapshot(case.pk)

    response = spec.request(client, world)

    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))
    assert snapshot(case.pk) == before


def test_a_deactivated_contact_point_is_logged_out(client, world):
    client.force_login(world["users"]["deactivated contact point of C"])
    response = client.get(reverse("vse_referrals:inbox"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_ending_a_designation_denies_the_next_request(client, world):
    receiver = world["users"]["receiver"]
    client.force_login(receiver)
    url = reverse("vse_referrals:case", args=[world["sent"].pk])
    assert client.get(url).status_code == 200

    designation = ContactPoint.objects.get(user=receiver)
    designation.active_until = timezone.now()
    designation.save()

    assert client.get(url).status_code == 404


def test_unknown_case_and_an_attachment_of_another_case_give_404(client, world):
    sender = world["users"]["sender"]
    client.force_login(sender)
    other = builders.sent_case(sender, world["org_b"])
    foreign_attachment = world["sent"].attachments.get()
    events_before = CaseEvent.objects.filter(kind=EventKind.DOWNLOADED).count()

    missing = reverse("vse_referrals:case", args=["00000000-0000-4000-8000-000000000000"])
    mixed = reverse("vse_referrals:download", args=[other.pk, foreign_attachment.pk])

    assert client.get(missing).status_code == 404
    assert client.get(mixed).status_code == 404
    assert CaseEvent.objects.filter(kind=EventKind.DOWNLOADED).count() == events_before


def test_unknown_transition_name_gives_404(client, world):
    client.force_login(world["users"]["receiver"])
    before = snapshot(world["sent"].pk)
    for name in ("expire", "send", "open", "no-such-thing"):
        url = reverse("vse_referrals:transition", args=[world["sent"].pk, name])
        assert client.post(url, transition_data()).status_code == 404, name
    assert snapshot(world["sent"].pk) == before


# Inbox and refer: contact points only ----------------------------------------------------------


@pytest.mark.parametrize("who", NON_CONTACT_POINTS)
def test_inbox_and_refer_give_404_to_non_contact_points(client, world, who):
    client.force_login(world["users"][who])
    cases_before = ReferralCase.objects.count()

    assert client.get(reverse("vse_referrals:inbox")).status_code == 404
    assert client.get(reverse("vse_referrals:refer")).status_code == 404
    response = client.post(reverse("vse_referrals:refer"), referral_form_data(world["org_b"]))
    assert response.status_code == 404
    assert ReferralCase.objects.count() == cases_before


def test_inbox_and_refer_open_to_contact_points(client, world):
    for side in ("sender", "receiver", "contact point of a third organisation"):
        client.force_login(world["users"][side])
        assert client.get(reverse("vse_referrals:inbox")).status_code == 200
        assert client.get(reverse("vse_referrals:refer")).status_code == 200


def test_inbox_and_refer_send_anonymous_users_to_login(client, world):
    for url in (reverse("vse_referrals:inbox"), reverse("vse_referrals:refer")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("wagtailadmin_login"))


# The VSE office's overview: metadata only ------------------------------------------------------


@pytest.fixture
def metadata_viewer(db):
    user = builders.make_user("vse-office")
    user.user_permissions.add(Permission.objects.get(codename="view_referral_metadata"))
    return user


def overview_rows(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")] for row in soup.select("table.listing tbody tr")
    ]


@pytest.mark.parametrize("who", ["superuser", "metadata viewer"])
def test_overview_lists_metadata_without_personal_data(client, world, metadata_viewer, who):
    user = metadata_viewer if who == "metadata viewer" else world["users"]["superuser"]
    client.force_login(user)
    sent = world["sent"]
    ReferralCase.objects.filter(pk=sent.pk).update(priority="stat")

    response = client.get(OVERVIEW_URL)

    assert response.status_code == 200
    rows = overview_rows(response)
    assert len(rows) == 1
    row = " | ".join(rows[0])
    for expected in (sent.reference, "Organisation A", "Organisation B", "Emergency", "Sent"):
        assert expected in row
    # The countries, by name or by code.
    assert "France" in row or "(FR)" in row
    assert "Sweden" in row or "(SE)" in row
    html = response.content.decode()
    for value in builders.PERSONAL_VALUES.values():
        assert value not in html
    assert world["draft"].reference not in html


def test_overview_filters_say_which_side_they_filter(client, world, metadata_viewer):
    client.force_login(metadata_viewer)
    html = client.get(OVERVIEW_URL).content.decode()
    assert html.count("By country of the referring member") == 1
    assert html.count("By country of the receiving member") == 1


def test_overview_csv_export_has_no_personal_data(client, world, metadata_viewer):
    client.force_login(metadata_viewer)
    response = client.get(OVERVIEW_URL, {"export": "csv"})
    assert response.status_code == 200
    content = b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()
    rows = list(csv.reader(io.StringIO(content)))
    assert any(world["sent"].reference in row for row in rows)
    assert world["draft"].reference not in content
    # What the page shows: labels and the site's local time, not codes and UTC.
    sent = world["sent"]
    [row] = [row for row in rows if sent.reference in row]
    record = dict(zip(rows[0], row, strict=True))
    assert (record["Priority"], record["Status"]) == (sent.get_priority_display(), sent.get_status_display())
    assert record["Sent"].startswith(timezone.localtime(sent.sent_at).strftime("%Y-%m-%d %H:%M"))
    for value in builders.PERSONAL_VALUES.values():
        assert value not in content


def test_overview_spreadsheet_has_labels_and_local_times(client, world, metadata_viewer):
    from openpyxl import load_workbook

    client.force_login(metadata_viewer)
    response = client.get(OVERVIEW_URL, {"export": "xlsx"})
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    sent = world["sent"]
    [record] = [dict(zip(header, row, strict=True)) for row in rows if row[0] == sent.reference]
    assert record["Status"] == sent.get_status_display()
    assert record["Sent"] == timezone.localtime(sent.sent_at).replace(tzinfo=None, microsecond=0)


@pytest.mark.parametrize("who", ["superuser", "metadata viewer"])
def test_overview_has_no_create_edit_inspect_or_delete(client, world, metadata_viewer, who):
    user = metadata_viewer if who == "metadata viewer" else world["users"]["superuser"]
    client.force_login(user)
    sent = world["sent"]
    urls = [
        reverse("vse_referrals_referralcase_modeladmin_create"),
        reverse("vse_referrals_referralcase_modeladmin_edit", args=[sent.pk]),
        reverse("vse_referrals_referralcase_modeladmin_delete", args=[sent.pk]),
        # Not routed at all (the inspect view is disabled): must not become a way to read a case.
        f"{OVERVIEW_URL}inspect/{sent.pk}/",
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code in (302, 403, 404), url
        if response.status_code == 302:
            assert response.url == reverse("wagtailadmin_home")
        assert builders.PERSONAL_VALUES["name"] not in response.content.decode()

    client.post(reverse("vse_referrals_referralcase_modeladmin_delete", args=[sent.pk]))
    client.post(reverse("vse_referrals_referralcase_modeladmin_edit", args=[sent.pk]), {"status": "cancelled"})
    client.post(reverse("vse_referrals_referralcase_modeladmin_create"), {"reference": "VSE-FAKE"})
    sent.refresh_from_db()
    assert sent.status == Status.REQUESTED
    assert not ReferralCase.objects.filter(reference="VSE-FAKE").exists()
    html = client.get(OVERVIEW_URL).content.decode()
    assert reverse("vse_referrals_referralcase_modeladmin_edit", args=[sent.pk]) not in html
    assert reverse("vse_referrals_referralcase_modeladmin_create") not in html


@pytest.mark.parametrize("who", ["sender", "receiver", "page editor", "staff", "no organisation"])
def test_overview_is_denied_to_contact_points_and_editors(client, world, who):
    client.force_login(world["users"][who])
    response = client.get(OVERVIEW_URL)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.url == reverse("wagtailadmin_home")
    assert world["sent"].reference not in response.content.decode()


def test_overview_query_count_does_not_grow(client, world, metadata_viewer):
    client.force_login(metadata_viewer)
    sender = world["users"]["sender"]
    client.get(OVERVIEW_URL)  # warm-up (content types, site)
    with CaptureQueriesContext(connection) as few:
        client.get(OVERVIEW_URL)
    for _ in range(30):
        builders.sent_case(sender, world["org_b"])
    with CaptureQueriesContext(connection) as many:
        response = client.get(OVERVIEW_URL)
    assert len(overview_rows(response)) == 31
    assert len(few) == len(many)


# Where case data must never appear -------------------------------------------------------------

CASE_MODELS = [ReferralCase, CaseMessage, CaseAttachment, CaseEvent, Notification, DeadlineAlert]


@pytest.mark.parametrize("model", CASE_MODELS, ids=lambda model: model.__name__)
def test_case_models_are_not_in_django_admin(model):
    assert get_user_model() in admin.site._registry  # the registry is populated: the check means something
    assert model not in admin.site._registry


@pytest.mark.parametrize("model", CASE_MODELS, ids=lambda model: model.__name__)
def test_case_models_are_not_searchable_nor_revisioned(model):
    assert not issubclass(model, index.Indexed)
    assert not issubclass(model, RevisionMixin)


def test_working_on_a_case_creates_no_revision_nor_search_entry(client, world):
    client.force_login(world["users"]["receiver"])
    sent = world["sent"]
    client.get(reverse("vse_referrals:case", args=[sent.pk]))
    client.post(reverse("vse_referrals:transition", args=[sent.pk, "accept"]))
    client.post(reverse("vse_referrals:message", args=[sent.pk]), message_data())

    case_types = ContentType.objects.get_for_models(*CASE_MODELS).values()
    assert not Revision.objects.filter(base_content_type__in=case_types).exists()
    assert not IndexEntry.objects.filter(content_type__in=case_types).exists()
    assert ReferralCase.objects.get(pk=sent.pk).status == Status.ACCEPTED  # the requests did work
