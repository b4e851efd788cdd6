"""The authorization matrix, generated from the URL resolver: every URL that names a case, a
message or a file x every role x every state of a case (DESIGN.md section 4).

The URL patterns come from the resolver (the test site's and the example site's), not from a
list written here: a pattern that names a case and that `KINDS` cannot classify fails the test,
so a new case URL cannot be added without saying who may use it. The expected answer of every
cell comes from the access rule (the parties are the sender's active contact points, and the
receiver's once the case was sent) and from the state machine (`workflow.TRANSITIONS`): the
parties get an answer, everyone else 404 and nothing changes; anonymous and deactivated users
are sent to the sign-in page.
"""

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import connection, transaction
from django.test import Client, override_settings
from django.urls import reverse
from wagtail.test.utils.form_data import rich_text

from vse_referrals import workflow
from vse_referrals.models import (
    AuditAction,
    AuditChainHead,
    AuditEntry,
    CaseAttachment,
    ContactPoint,
    ReferralCase,
    Side,
    Status,
)
from vse_referrals.models import referrals as case_models

from . import builders
from .url_patterns import site_patterns

LOGIN_URL = reverse("wagtailadmin_login")
APP_NAMESPACE = "vse_referrals"
# Models whose rows are case content: a URL naming one of them is a case URL.
CASE_MODEL_NAMES = {
    model._meta.model_name
    for model in apps.get_app_config("vse_referrals").get_models()
    if model.__module__ == case_models.__name__
}
ID_KWARGS = ("case", "message", "attachment", "event", "referral")


def names_a_case(pattern):
    """Whether the pattern is the app's, or takes the id of a case, message, file or event."""
    if pattern.namespace == APP_NAMESPACE:
        return True
    if any(marker in kwarg for kwarg in pattern.kwargs for marker in ID_KWARGS):
        return True
    return bool(pattern.kwargs) and any(
        f"_{model}_" in pattern.name or f"/{model}/" in pattern.route for model in CASE_MODEL_NAMES
    )


# What each kind of URL answers, from the access rule and the state machine ---------------------
#
# `expect(side, case, cell, user)` gives the statuses a signed-in, active `user` on `side` (a
# `Side`, or None for someone who is not a party) may get; `cell` carries the extra URL arguments.

NOT_FOUND = frozenset({404})
# Wagtail answers PermissionDenied in its admin with a redirect to the dashboard and an error.
REFUSED = "refused"


def answer(response):
    """The status code, or REFUSED for Wagtail's "permission denied" redirect."""
    if response.status_code == 302 and response["Location"] == reverse("wagtailadmin_home"):
        return REFUSED
    return response.status_code


def for_parties(statuses):
    return lambda side, case, cell, user: frozenset(statuses) if side else NOT_FOUND


def senders_draft(statuses):
    return lambda side, case, cell, user: (
        frozenset(statuses) if side == Side.SENDER and case.status == Status.DRAFT else NOT_FOUND
    )


def sender_only(statuses):
    return lambda side, case, cell, user: frozenset(statuses) if side == Side.SENDER else NOT_FOUND


def transition_answer(side, case, cell, user):
    transition = workflow.TRANSITIONS.get(cell["name"])
    if side is None or transition is None or not transition.manual:
        return NOT_FOUND
    if side != transition.side:
        return frozenset({REFUSED})  # a party, but not the side that makes this transition
    # Done when it applies to the case as it is; otherwise "this referral changed", nothing done:
    # either way back to the case page.
    return frozenset({302})


def download_answer(side, case, cell, user):
    on_this_case = CaseAttachment.objects.filter(pk=cell["attachment_id"], case=case).exists()
    return frozenset({200}) if side and on_this_case else NOT_FOUND


DENIED = frozenset({REFUSED})


def nobody(side, case, cell, user):
    # The VSE office's overview offers no view of a case: not even the parties reach one here.
    # A draft is not in the overview at all (404); any other case is refused.
    return NOT_FOUND if case.status == Status.DRAFT else DENIED


def metadata_readers(side, case, cell, user):
    # The overview's own permission (its PermissionHelper), whatever the side: metadata only.
    if case.status == Status.DRAFT:
        return NOT_FOUND  # drafts are not in the overview
    return frozenset({200}) if user.has_perm("vse_referrals.view_referral_metadata") else DENIED


@dataclass(frozen=True)
class Kind:
    method: str
    expect: Callable
    data: Callable = None  # (world) -> POST data
    cells: Callable = None  # (world, case) -> list of extra URL kwargs


def edit_data(world):
    return {
        "receiving_organisation": world["org_b"].pk,
        "priority": "urgent",
        "referred_person": "victim",
        "age_band": "unknown",
        "name": "Changed by the request",
        "action": "draft",
    }


def transition_names(world, case):
    # Every transition of the table, automatic ones included, and a name that is none of them.
    return [{"name": name} for name in [*workflow.TRANSITIONS, "no-such-transition"]]


def attachment_ids(world, case):
    # The case's own files and one of another case (a file id taken to a case the user may see).
    own = [{"attachment_id": pk} for pk in world["attachments"][case.pk]]
    other = next(pk for case_pk, pks in world["attachments"].items() if case_pk != case.pk for pk in pks)
    return [*own, {"attachment_id": other}]


KINDS = {
    # The app's own URLs without a case id: covered by test_inbox, test_referral_views, test_two_factor.
    "vse_referrals:inbox": None,
    "vse_referrals:inbox_results": None,
    "vse_referrals:refer": None,
    "vse_referrals:two_factor_setup": None,
    "vse_referrals:two_factor_verify": None,
    # Designations awaiting confirmation, not cases: covered by test_designations.
    "vse_referrals:designations": None,
    "vse_referrals:confirm_designation": None,
    # Case URLs.
    "vse_referrals:case": [Kind("get", for_parties({200}))],
    "vse_referrals:edit": [
        Kind("get", senders_draft({200})),
        Kind("post", senders_draft({200, 302}), data=edit_data),
    ],
    "vse_referrals:preview": [Kind("get", senders_draft({200}))],
    "vse_referrals:send": [Kind("post", sender_only({302}))],
    "vse_referrals:discard": [Kind("post", senders_draft({302}))],
    "vse_referrals:transition": [
        Kind(
            "post",
            transition_answer,
            data=lambda w: {"reason": "Because", "outcome": "supported"},
            cells=transition_names,
        )
    ],
    "vse_referrals:message": [
        Kind("post", for_parties({302}), data=lambda w: {"body": rich_text("<p>Hello</p>", features=["bold"])})
    ],
    "vse_referrals:upload": [Kind("post", for_parties({302}), data=lambda w: {"files": builders.pdf_upload()})],
    "vse_referrals:download": [Kind("get", download_answer, cells=attachment_ids)],
    # The VSE office's metadata overview (wagtail-modeladmin): no case page, no change, ever.
    "vse_referrals_referralcase_modeladmin_edit": [Kind("get", nobody), Kind("post", nobody, data=edit_data)],
    "vse_referrals_referralcase_modeladmin_delete": [Kind("get", nobody), Kind("post", nobody, data=lambda w: {})],
    # Wagtail's log of the case: the reference and log entries, for the VSE office's staff.
    "vse_referrals_referralcase_modeladmin_history": [Kind("get", metadata_readers)],
}


def case_patterns():
    return sorted((p for p in site_patterns() if names_a_case(p)), key=lambda p: p.name)


def test_every_case_url_pattern_is_classified():
    unknown = [f"{p.name} ({p.route})" for p in case_patterns() if p.name not in KINDS]
    assert not unknown, f"URL patterns naming a case that the matrix cannot classify: add them to KINDS: {unknown}"


def test_the_matrix_covers_the_case_urls():
    # The classifier finds them: the walk cannot pass by finding nothing.
    found = {p.name for p in case_patterns()}
    assert {"vse_referrals:case", "vse_referrals:download", "vse_referrals_referralcase_modeladmin_history"} <= found
    assert set(KINDS) <= found, f"KINDS names patterns that no longer exist: {set(KINDS) - found}"


# The world: roles and one case in each state, built once for the module -----------------------

# The organisation each role acts for ("a", "b", "c": an active contact point of it), or None.
ROLES = {
    "anonymous": None,
    "signed in without organisation": None,
    "sender's point of contact": "a",
    "receiver's point of contact": "b",
    "receiver's deputy": "b",
    "third member's point of contact": "c",
    "ended contact point of the receiver": None,
    "pending contact point of the receiver": None,
    "deactivated deputy of the sender": None,
    "staff": None,
    "superuser": None,
    "global model permissions": None,
    "page editor": None,
}


def build_roles(org_a, org_b, org_c):
    global_perms = builders.make_user("attack-global-perms")
    group = Group.objects.create(name="Attack: every referral permission")
    group.permissions.add(*Permission.objects.filter(content_type__app_label="vse_referrals"))
    global_perms.groups.add(group)
    editor = builders.make_user("attack-editor", admin_access=False)
    editor.groups.add(Group.objects.get(name="Editors"))
    deactivated = builders.make_contact_point(org_a, ContactPoint.Role.DEPUTY, "attack-deactivated-a")
    deactivated.is_active = False
    deactivated.save()
    return {
        "anonymous": None,
        "signed in without organisation": builders.make_user("attack-no-organisation"),
        "sender's point of contact": builders.make_contact_point(org_a, username="attack-sender"),
        "receiver's point of contact": builders.make_contact_point(org_b, username="attack-receiver"),
        # One deputy at a time: this one's designation ends before the pending one's starts.
        "receiver's deputy": builders.make_contact_point(
            org_b, ContactPoint.Role.DEPUTY, "attack-deputy-b", ends_in=timedelta(days=4)
        ),
        "third member's point of contact": builders.make_contact_point(org_c, username="attack-third"),
        "ended contact point of the receiver": builders.make_contact_point(
            org_b,
            ContactPoint.Role.DEPUTY,
            "attack-ended-b",
            started_ago=timedelta(days=90),
            ends_in=-timedelta(days=40),
        ),
        # The receiver's deputy slot is taken until then: the proposal is for the period after.
        "pending contact point of the receiver": builders.make_pending_contact_point(
            org_b, username="attack-pending-b", starts_in=timedelta(days=5)
        ),
        "deactivated deputy of the sender": deactivated,
        "staff": builders.make_user("attack-staff", is_staff=True),
        "superuser": builders.make_superuser("attack-superuser"),
        "global model permissions": global_perms,
        "page editor": editor,
    }


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """Built once and rolled back after the module; every request is rolled back after it."""
    files = tmp_path_factory.mktemp("attack-files")
    with builders.kept_for_module(django_db_blocker):
        with override_settings(VSE_REFERRALS_ATTACHMENT_ROOT=files):
            org_a = builders.make_organisation("Attack sender", country="FR")
            org_b = builders.make_organisation("Attack receiver", country="SE")
            org_c = builders.make_organisation("Attack third", country="DE")
            users = build_roles(org_a, org_b, org_c)
            sender, receiver = users["sender's point of contact"], users["receiver's point of contact"]
            cases = {state: builders.case_in_state(state, sender, receiver) for state in builders.CASE_STATES}
            # The purge deleted the purged case's file: its old id must still be refused.
            attachments = {case.pk: [case.added_file_id] for case in cases.values()}
        yield {
            "org_a": org_a,
            "org_b": org_b,
            "org_c": org_c,
            "orgs": {"a": org_a, "b": org_b, "c": org_c},
            "users": users,
            "cases": cases,
            "attachments": attachments,
            "files": files,
        }


@pytest.fixture
def attack_files(world, private_attachment_root):
    """The module's encrypted files, where this test's storage looks for them."""
    shutil.copytree(world["files"], private_attachment_root, dirs_exist_ok=True)


# The audit log records every request, refused ones included: it is checked apart (audit_since).
AUDIT_MODELS = (AuditEntry, AuditChainHead)
APP_TABLES = [
    model._meta.db_table for model in apps.get_app_config("vse_referrals").get_models() if model not in AUDIT_MODELS
]


def audit_sequence():
    return AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def audit_since(sequence):
    """The actions the audit log recorded after `sequence`."""
    return set(AuditEntry.objects.filter(sequence__gt=sequence).values_list("action", flat=True))


def fingerprint():
    """How many rows each table of the app has, and each case's status and last change: what a
    request could add, remove or change (two queries, as the matrix makes thousands of requests)."""
    with connection.cursor() as cursor:
        quote = connection.ops.quote_name
        cursor.execute("SELECT " + ", ".join(f"(SELECT COUNT(*) FROM {quote(table)})" for table in APP_TABLES))
        counts = cursor.fetchone()
    cases = list(ReferralCase.objects.order_by("pk").values_list("pk", "status", "updated_at", "purged_at"))
    return counts, cases


def side_of(role, case, world):
    """The side the role is on, from the role's designation (not from the code under test)."""
    organisation = world["orgs"].get(ROLES[role])
    if organisation is None:
        return None
    if case.sending_organisation_id == organisation.pk:
        return Side.SENDER
    if case.receiving_organisation_id == organisation.pk and case.sent_at is not None:
        return Side.RECEIVER
    return None


def clients(world):
    signed_in = {}
    for role, user in world["users"].items():
        client = Client()
        if user is not None:
            client.force_login(user)
        signed_in[role] = client
    return signed_in


def request(client, kind, url, world):
    if kind.method == "get":
        return client.get(url)
    return client.post(url, kind.data(world) if kind.data else {})


def matrix_url_names():
    return [name for name, kinds in KINDS.items() if kinds]


@pytest.mark.parametrize("url_name", matrix_url_names())
def test_only_the_parties_reach_a_case(url_name, world, attack_files, db):
    """Every role x every state x every method the URL takes; one failure list per URL."""
    failures = []
    tried = 0
    signed_in = clients(world)
    for kind in KINDS[url_name]:
        for state, case in world["cases"].items():
            case.refresh_from_db()
            for cell in kind.cells(world, case) if kind.cells else [{}]:
                url = reverse(url_name, kwargs={**url_kwargs(url_name, case), **cell})
                for role, user in world["users"].items():
                    side = side_of(role, case, world)
                    before, audited = fingerprint(), audit_sequence()
                    with transaction.atomic():
                        response = request(signed_in[role], kind, url, world)
                        after, recorded = fingerprint(), audit_since(audited)
                        transaction.set_rollback(True)
                    tried += 1
                    where = f"{kind.method.upper()} {url} ({state}) as {role}"
                    if user is None or not user.is_active:
                        if response.status_code != 302 or not response["Location"].startswith(LOGIN_URL):
                            failures.append(f"{where}: {response.status_code}, not sent to sign in")
                        expected_side_effects = False
                    else:
                        expected = kind.expect(side, case, cell, user)
                        if answer(response) not in expected:
                            failures.append(f"{where}: {answer(response)}, expected {sorted(expected, key=str)}")
                        expected_side_effects = side is not None and answer(response) in (200, 302)
                    if not expected_side_effects and after != before:
                        failures.append(f"{where}: changed rows although refused")
                    if not expected_side_effects and recorded - {AuditAction.ACCESS_DENIED}:
                        failures.append(f"{where}: audited {sorted(recorded)} although refused")
                    if side is None and answer(response) == 200:
                        leaked = [value for value in builders.PERSONAL_VALUES.values() if value in content(response)]
                        if leaked:
                            failures.append(f"{where}: shows case content {leaked}")
    assert tried > 0
    assert not failures, "\n".join(failures)


def url_kwargs(url_name, case):
    return {"instance_pk": case.pk} if url_name.endswith(("_edit", "_delete", "_history")) else {"case_id": case.pk}


def content(response):
    return b"".join(response.streaming_content).decode() if response.streaming else response.content.decode()


@pytest.mark.parametrize("role", ["superuser", "global model permissions"])
def test_the_vse_office_sees_a_cases_history_without_its_content(role, world, db):
    """The one case page of the overview: Wagtail's log, metadata only (reference, actions)."""
    client = clients(world)[role]
    for state, case in world["cases"].items():
        response = client.get(reverse("vse_referrals_referralcase_modeladmin_history", args=[case.pk]))
        if state == "draft":  # not in the overview: nobody there reaches it
            assert response.status_code == 404
            continue
        assert response.status_code == 200, state
        text = content(response)
        assert case.reference in text
        assert not [value for value in builders.PERSONAL_VALUES.values() if value in text], state
