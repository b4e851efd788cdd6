"""CSRF and safe methods, for every URL the app adds (read from the URL resolver).

- A POST without a CSRF token is refused (403), even from a user who may use the URL, and
  changes nothing; the same POST with a token fetched from a page is not refused for CSRF (so
  the first check cannot pass because every POST is refused for another reason).
- No GET changes a row of the app's tables, except the reads that are recorded on purpose
  (`RECORDING_READS`, with the reason), which change exactly what they say.
"""

import shutil
from collections import Counter

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse

from vse_referrals.models import (
    AuditAction,
    AuditChainHead,
    AuditEntry,
    CaseEvent,
    ContactPoint,
    EventKind,
    MemberService,
    ReferralCase,
    Status,
)

from . import builders
from .url_patterns import app_patterns, directory_patterns

# The case URLs that act on a draft; the others are tried on a sent case.
DRAFT_URLS = {"vse_referrals:edit", "vse_referrals:preview", "vse_referrals:send", "vse_referrals:discard"}
# Listings whose spreadsheet export is a GET too.
EXPORT_QUERIES = ("", "?export=csv", "?export=xlsx")


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    files = tmp_path_factory.mktemp("csrf-files")
    with builders.kept_for_module(django_db_blocker), override_settings(VSE_REFERRALS_ATTACHMENT_ROOT=files):
        org_a = builders.make_organisation("CSRF sender", country="FR")
        org_b = builders.make_organisation("CSRF receiver", country="SE")
        sender = builders.make_contact_point(org_a, username="csrf-sender")
        receiver = builders.make_contact_point(org_b, username="csrf-receiver")
        draft = builders.case_in_state("draft", sender, receiver)
        sent = builders.case_in_state("sent", sender, receiver)
        directory = builders.make_directory()
        member = builders.make_member_with_services(
            directory, "CSRF member", "FR", services=[{"name": "CSRF service", "languages": ["fr"]}], organisation=org_a
        )
        superuser = builders.make_superuser("csrf-superuser")
        # A deputy proposed by an administrator, for the sender (org_a's primary) to confirm.
        proposed = builders.make_pending_contact_point(org_a, username="csrf-proposed", proposed_by=superuser)
        yield {
            "org_a": org_a,
            "sender": sender,
            "receiver": receiver,
            "superuser": superuser,
            "proposed": ContactPoint.objects.get(user=proposed),
            "draft": draft,
            "sent": sent,
            "directory": directory,
            "member": member,
            "service": MemberService.objects.get(page=member),
            "files": files,
        }


@pytest.fixture
def stored_files(world, private_attachment_root):
    shutil.copytree(world["files"], private_attachment_root, dirs_exist_ok=True)


def case_for(pattern, world):
    return world["draft"] if pattern.name in DRAFT_URLS else world["sent"]


def instance_for(model_name, world):
    return {
        "organisation": world["org_a"],
        "contactpoint": ContactPoint.objects.filter(user=world["sender"]).first(),
        "referralcase": world["sent"],
    }.get(model_name) or apps.get_model("vse_referrals", model_name).objects.first()


def model_of(pattern):
    """The model of a modeladmin URL name ("vse_referrals_<model>_modeladmin_<action>") or of a
    snippet namespace ("wagtailsnippets_vse_referrals_<model>")."""
    if "_modeladmin_" in pattern.name:
        return pattern.name.removeprefix("vse_referrals_").split("_modeladmin_")[0]
    return pattern.namespace.rpartition("vse_referrals_")[2]


def url_of(pattern, world):
    """The pattern's URL with ids of objects that exist; an argument not known here fails."""
    values = {}
    for kwarg in pattern.kwargs:
        if kwarg == "case_id":
            values[kwarg] = case_for(pattern, world).pk
        elif kwarg == "attachment_id":
            values[kwarg] = case_for(pattern, world).added_file_id
        elif kwarg == "name":
            values[kwarg] = "withdraw"  # the sender's, on a sent case
        elif kwarg == "designation_id":
            values[kwarg] = world["proposed"].pk
        elif kwarg in ("instance_pk", "pk"):
            values[kwarg] = instance_for(model_of(pattern), world).pk
        else:
            pytest.fail(f"{pattern.name} takes {kwarg!r}: say here which object it names")
    return reverse(pattern.name, kwargs=values)


def user_for(pattern, world):
    """A user who may use the URL: a party for case URLs, the superuser for the network's pages."""
    if pattern.namespace != "vse_referrals":
        return world["superuser"]
    if pattern.name in DRAFT_URLS or "case_id" not in pattern.kwargs:
        return world["sender"]
    return world["receiver"]


def signed_in(user, **options):
    client = Client(**options)
    client.force_login(user)
    return client


def is_csrf_failure(response):
    return response.status_code == 403 and b"CSRF" in response.content


# POST without a token ------------------------------------------------------------------------


def test_the_app_has_post_endpoints_to_try():
    names = {pattern.name for pattern in app_patterns()}
    assert {"vse_referrals:transition", "vse_referrals:refer", "vse_referrals_organisation_modeladmin_create"} <= names
    assert "vse_referrals_contactpoint_modeladmin_reset_two_factor" in names


def test_every_post_without_a_token_is_refused_and_changes_nothing(world, stored_files, db):
    failures, tried = [], 0
    for pattern in app_patterns():
        user = user_for(pattern, world)
        url = url_of(pattern, world)
        without_token = signed_in(user, enforce_csrf_checks=True)
        before = fingerprint()
        response = without_token.post(url, {"name": "Posted without a token", "reason": "x"})
        tried += 1
        if not is_csrf_failure(response):
            failures.append(f"POST {url} ({pattern.name}) without a token: {response.status_code}")
        if fingerprint() != before:
            failures.append(f"POST {url} ({pattern.name}) without a token changed rows")

        # The control: a token taken from a page the user sees makes the same POST pass the check
        # (whatever the view then makes of an empty form: Wagtail's snippet chooser "create" view
        # fails on one, which is Wagtail's and not what this test is about).
        with_token = signed_in(user, enforce_csrf_checks=True, raise_request_exception=False)
        with_token.get(reverse("vse_referrals:inbox") if user != world["superuser"] else reverse("wagtailadmin_home"))
        token = with_token.cookies["csrftoken"].value
        with transaction.atomic():
            response = with_token.post(url, {"csrfmiddlewaretoken": token})
            transaction.set_rollback(True)
        if is_csrf_failure(response):
            failures.append(f"POST {url} ({pattern.name}) with a token: refused for CSRF")
    assert tried > 40
    assert not failures, "\n".join(failures)


# No GET changes a row --------------------------------------------------------------------------

# The reads that are recorded on purpose: the URL name, the reason, and exactly what changes.
RECORDING_READS = {
    "vse_referrals:case": (
        "Viewing a case is recorded on its timeline (who looked, when: DESIGN.md section 4), and the "
        "receiver's first view opens a requested referral (requested -> received), which queues the "
        "e-mails of that transition.",
        {
            "events": Counter({EventKind.VIEWED: 1, EventKind.RECEIVED: 1}),
            "status": Status.RECEIVED,
            "tables": {"vse_referrals_caseevent", "vse_referrals_referralcase", "vse_referrals_notification"},
        },
    ),
    "vse_referrals:download": (
        "Downloading a file is recorded on the case's timeline.",
        {"events": Counter({EventKind.DOWNLOADED: 1}), "status": None, "tables": {"vse_referrals_caseevent"}},
    ),
}
# The audit log records reads (views, downloads, exports, refused requests) on purpose: it is
# checked apart, by the actions it records (READS_AUDITED).
AUDIT_MODELS = (AuditEntry, AuditChainHead)
APP_TABLES = [model for model in apps.get_app_config("vse_referrals").get_models() if model not in AUDIT_MODELS]
READS_AUDITED = {
    AuditAction.CASE_VIEWED,
    AuditAction.ATTACHMENT_DOWNLOADED,
    AuditAction.EXPORTED,
    AuditAction.ACCESS_DENIED,
}


def fingerprint():
    """Each table of the app: its row count and, where rows have one, their last change."""
    quote = connection.ops.quote_name
    selects = []
    for model in APP_TABLES:
        table = quote(model._meta.db_table)
        selects.append(f"(SELECT COUNT(*) FROM {table})")
        if any(field.name == "updated_at" for field in model._meta.concrete_fields):
            selects.append(f"(SELECT MAX({quote('updated_at')}) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(selects))
        rows = cursor.fetchone()
    cases = list(ReferralCase.objects.order_by("pk").values_list("pk", "status", "updated_at"))
    return rows, cases


def get_urls(world):
    """Every URL the app adds, with the query strings of its exports, and the directory's routes."""
    for pattern in app_patterns():
        queries = EXPORT_QUERIES if pattern.name.endswith(("_modeladmin_index", "_directory_services")) else ("",)
        for query in queries:
            yield pattern.name, url_of(pattern, world) + query, user_for(pattern, world)
    directory, service = world["directory"], world["service"]
    ids = {"service_id": service.hsds_id, "organization_id": world["member"].hsds_id, "unknown": "unknown/route"}
    for pattern in directory_patterns():
        kwargs = {kwarg: ids[kwarg] for kwarg in pattern.kwargs}
        yield pattern.name, directory.url + directory.reverse_subpage(pattern.name, kwargs=kwargs), None
    yield "member profile", world["member"].url, None


def test_no_get_changes_a_row_except_the_recorded_reads(world, stored_files, db):
    failures, tried = [], 0
    anonymous = Client()
    for name, url, user in get_urls(world):
        client = signed_in(user) if user else anonymous
        before, events_before = fingerprint(), set(CaseEvent.objects.values_list("pk", flat=True))
        audited = AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
        with transaction.atomic():
            response = client.get(url)
            after = fingerprint()
            recorded = set(AuditEntry.objects.filter(sequence__gt=audited).values_list("action", flat=True))
            added = Counter(CaseEvent.objects.exclude(pk__in=events_before).values_list("kind", flat=True))
            statuses = dict(ReferralCase.objects.values_list("pk", "status"))
            transaction.set_rollback(True)
        tried += 1
        if response.status_code >= 500:
            failures.append(f"GET {url} ({name}): {response.status_code}")
        if name in RECORDING_READS:
            _reason, expected = RECORDING_READS[name]
            if response.status_code != 200:
                failures.append(f"GET {url} ({name}): {response.status_code}, the recorded read was not tried")
            if added != expected["events"]:
                failures.append(f"GET {url} ({name}) recorded {dict(added)}, expected {dict(expected['events'])}")
            if expected["status"] and statuses[world["sent"].pk] != expected["status"]:
                failures.append(f"GET {url} ({name}) left the case {statuses[world['sent'].pk]}")
            changed_tables = tables_changed(before, after)
            if changed_tables - expected["tables"]:
                failures.append(f"GET {url} ({name}) changed {sorted(changed_tables - expected['tables'])}")
        elif after != before:
            failures.append(f"GET {url} ({name}) changed {sorted(tables_changed(before, after))}")
        # The receiver's first view opens the referral: a transition, recorded as one.
        opened = {AuditAction.TRANSITION} if name == "vse_referrals:case" else set()
        if recorded - READS_AUDITED - opened:
            failures.append(f"GET {url} ({name}) audited {sorted(recorded - READS_AUDITED)}")
    assert tried > 40
    assert not failures, "\n".join(failures)


def tables_changed(before, after):
    """The tables whose count or last change differ between two fingerprints."""
    labels = []
    for model in APP_TABLES:
        labels.append(model._meta.db_table)
        if any(field.name == "updated_at" for field in model._meta.concrete_fields):
            labels.append(model._meta.db_table)
    changed = {label for label, old, new in zip(labels, before[0], after[0], strict=True) if old != new}
    if before[1] != after[1]:
        changed.add("vse_referrals_referralcase")
    return changed
