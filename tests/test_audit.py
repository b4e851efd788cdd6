"""The audit log (vse_referrals.audit, models.audit): one entry per access, metadata only, hash
chained, refused changes, a verification that finds what was altered or removed, and Wagtail's
Site history as the place VSE staff read it."""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.test.utils.form_data import rich_text

from vse_referrals import audit, retention, workflow
from vse_referrals.models import AuditAction, AuditEntry, ContactPoint, ReferralCase
from vse_referrals.models.audit import AppendOnlyError

from . import builders
from .test_case_access import MESSAGE_FEATURES, OVERVIEW_URL, SPECS, pdf_upload
from .test_case_access import metadata_viewer as case_access_metadata_viewer
from .test_case_access import world as case_access_world
from .test_directory_report import REPORT_URL

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"
SENTINEL = "SENTINEL-Q7Z"  # planted in every free-text value of the case; never in the audit log
SITE_HISTORY_URL = reverse("wagtailadmin_reports:site_history")
TABLE = AuditEntry._meta.db_table


def last_sequence():
    return AuditEntry.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0


def entries_after(sequence):
    return list(AuditEntry.objects.filter(sequence__gt=sequence).order_by("sequence"))


def raw_rows(entries=None):
    """Every column of every entry (or of `entries`) as the database holds it."""
    with connection.cursor() as cursor:
        if entries is None:
            cursor.execute(f"SELECT * FROM {TABLE}")
        else:
            cursor.execute(f"SELECT * FROM {TABLE} WHERE id IN ({', '.join(str(entry.pk) for entry in entries)})")
        return cursor.fetchall()


def assert_no_case_content():
    rows = raw_rows()
    assert rows
    text = " ".join(str(value) for row in rows for value in row)
    assert SENTINEL not in text
    for value in builders.PERSONAL_VALUES.values():
        assert value not in text


# The case access tests' world: one sent case and one draft, every kind of user.
world = case_access_world
metadata_viewer = case_access_metadata_viewer


@pytest.fixture
def case(sender, org_b):
    """A sent referral whose every free-text value carries the sentinel."""
    planted = {field: f"{value} {SENTINEL}" for field, value in builders.PERSONAL_VALUES.items()}
    return builders.sent_case(sender, org_b, **planted)


def case_url(case):
    return reverse("vse_referrals:case", args=[case.pk])


def verify_problem():
    with pytest.raises(CommandError) as error:
        call_command("verify_audit_log", stdout=StringIO())
    assert error.value.returncode == 1
    return str(error.value)


@pytest.fixture
def triggers_bypassed():
    """What a table owner can do: switch the triggers off, tamper, switch them on again (the
    test's transaction undoes it all)."""

    def bypass():
        if connection.vendor == "postgresql":
            return _Statements(
                [f"ALTER TABLE {TABLE} DISABLE TRIGGER USER"], [f"ALTER TABLE {TABLE} ENABLE TRIGGER USER"]
            )
        with connection.cursor() as cursor:
            cursor.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
            triggers = cursor.fetchall()
        assert len(triggers) == 2
        return _Statements([f"DROP TRIGGER {name}" for name, _sql in triggers], [sql for _name, sql in triggers])

    return bypass


class _Statements:
    def __init__(self, before, after):
        self.before, self.after = before, after

    def __enter__(self):
        with connection.cursor() as cursor:
            for statement in self.before:
                cursor.execute(statement)

    def __exit__(self, *exc):
        with connection.cursor() as cursor:
            for statement in self.after:
                cursor.execute(statement)


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


# Each action: one entry, with who, where, on what, and no content ------------------------------


def test_case_actions_are_recorded_once_each_with_metadata_only(client, case, sender, receiver, org_a, org_b):
    steps = []

    def step(user, method, url, data=None):
        before = last_sequence()
        client.force_login(user)
        response = getattr(client, method)(url, data or {}, REMOTE_ADDR=ADDRESS)
        assert response.status_code in (200, 302), url
        steps.append((user, entries_after(before)))

    step(sender, "get", case_url(case))
    body = rich_text(f"<p>Message {SENTINEL}</p>", features=MESSAGE_FEATURES)
    step(sender, "post", reverse("vse_referrals:message", args=[case.pk]), {"body": body})
    step(sender, "post", reverse("vse_referrals:upload", args=[case.pk]), {"files": pdf_upload(f"{SENTINEL}.pdf")})
    step(receiver, "get", case_url(case))  # the first look opens it: a transition, then the view
    attachment = case.attachments.get()
    step(receiver, "get", reverse("vse_referrals:download", args=[case.pk, attachment.pk]))
    step(receiver, "post", reverse("vse_referrals:transition", args=[case.pk, "accept"]), {"reason": SENTINEL})

    actions = [[entry.action for entry in entries] for _user, entries in steps]
    assert actions == [
        [AuditAction.CASE_VIEWED],
        [AuditAction.MESSAGE_SENT],
        [AuditAction.ATTACHMENT_ADDED],
        [AuditAction.TRANSITION, AuditAction.CASE_VIEWED],
        [AuditAction.ATTACHMENT_DOWNLOADED],
        [AuditAction.TRANSITION],
    ]
    organisations = {sender.pk: org_a, receiver.pk: org_b}
    for user, entries in steps:
        for entry in entries:
            assert (entry.user_id, entry.username, entry.client_address) == (user.pk, user.username, ADDRESS)
            organisation = organisations[user.pk]
            assert (entry.organisation_id, entry.organisation_name) == (organisation.pk, organisation.name)
            assert (entry.content_type.model_class(), entry.object_id, entry.label) == (
                ReferralCase,
                str(case.pk),
                case.reference,
            )
    assert steps[3][1][0].data == {"transition": "open", "from": "requested", "to": "received"}
    assert steps[5][1][0].data == {"transition": "accept", "from": "received", "to": "accepted"}
    assert steps[4][1][0].data == {"attachment": str(attachment.pk)}
    assert_no_case_content()
    assert "OK" in call_command_output("verify_audit_log")


def call_command_output(name, *args):
    out = StringIO()
    call_command(name, *args, stdout=out)
    return out.getvalue()


def test_entries_are_chained(case, sender):
    workflow.record_view(case, builders.acting(sender))
    workflow.record_view(case, builders.acting(sender))
    first, second, third = AuditEntry.objects.order_by("sequence")[:3]
    assert first.sequence == 1 and first.previous_hash == "0" * 64
    assert (second.previous_hash, third.previous_hash) == (first.hash, second.hash)
    assert third.hash == third.compute_hash() and len(third.hash) == 64


def test_the_system_acts_without_a_user_or_address(case, sender, receiver):
    case = workflow.perform(case, "accept", builders.acting(receiver))
    before = last_sequence()
    workflow.perform(case, "close", builders.acting(receiver), outcome="supported")
    call_command("reset_two_factor", sender.username, stdout=StringIO())
    system = entries_after(before)[-1]
    assert (system.action, system.user_id, system.username, system.client_address) == (
        AuditAction.TWO_FACTOR_RESET,
        None,
        "",
        "",
    )
    assert system.user_display_name == "system"


def test_a_rolled_back_action_leaves_no_entry(case, receiver, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("mail queue down")

    monkeypatch.setattr(workflow.notifications, "notify", fail)
    before = last_sequence()
    with pytest.raises(RuntimeError):
        workflow.perform(case, "accept", builders.acting(receiver))
    assert entries_after(before) == []
    assert ReferralCase.objects.get(pk=case.pk).status == "requested"


def test_a_deleted_user_keeps_id_and_username_in_the_log(client, case, sender):
    client.force_login(sender)
    client.get(case_url(case))
    entry = AuditEntry.objects.get(action=AuditAction.CASE_VIEWED)
    user_id = sender.pk
    ContactPoint.objects.filter(user=sender).delete()
    get_user_model().objects.filter(pk=user_id).delete()

    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.user_id, entry.username) == (user_id, "sender-a")
    assert entry.user_display_name == "sender-a (deleted user)"
    assert "OK" in call_command_output("verify_audit_log")


# Denied requests --------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["contact point of a third organisation", "superuser", "no organisation"])
@pytest.mark.parametrize("spec", SPECS, ids=repr)
def test_a_denied_case_request_is_recorded_with_the_case_id(client, world, spec, who):
    case, user = world[spec.target], world["users"][who]
    client.force_login(user)
    before = last_sequence()

    assert spec.request(client, world).status_code == 404

    [entry] = entries_after(before)
    assert (entry.action, entry.user_id, entry.username) == (AuditAction.ACCESS_DENIED, user.pk, user.username)
    assert (entry.content_type.model_class(), entry.object_id, entry.label) == (
        ReferralCase,
        str(case.pk),
        str(case.pk),
    )
    assert case.reference not in str(raw_rows([entry]))  # the id from the URL, nothing read from the case


def test_a_file_of_another_case_is_a_denied_request(client, world):
    sender, sent, draft = world["users"]["sender"], world["sent"], world["draft"]
    client.force_login(sender)
    before = last_sequence()
    url = reverse("vse_referrals:download", args=[sent.pk, draft.attachments.get().pk])
    assert client.get(url).status_code == 404
    assert [(entry.action, entry.object_id) for entry in entries_after(before)] == [
        (AuditAction.ACCESS_DENIED, str(sent.pk))
    ]


# Exports, designations, two-step resets ---------------------------------------------------------


def test_exports_are_recorded_with_their_format(client, world, metadata_viewer):
    superuser = world["users"]["superuser"]
    builders.make_example_directory()
    before = last_sequence()
    client.force_login(metadata_viewer)
    assert client.get(OVERVIEW_URL, {"export": "csv"}).status_code == 200
    client.force_login(superuser)
    assert client.get(reverse("vse_referrals_organisation_modeladmin_index"), {"export": "xlsx"}).status_code == 200
    assert client.get(REPORT_URL, {"export": "csv"}).status_code == 200
    assert client.get(OVERVIEW_URL).status_code == 200  # the listing itself is no export

    exports = entries_after(before)
    assert [(entry.action, entry.user_id, entry.data["format"]) for entry in exports] == [
        (AuditAction.EXPORTED, metadata_viewer.pk, "csv"),
        (AuditAction.EXPORTED, superuser.pk, "xlsx"),
        (AuditAction.EXPORTED, superuser.pk, "csv"),
    ]
    assert [entry.data["export"] for entry in exports] == ["Referrals", "Organisations", "Directory services"]
    assert world["sent"].reference not in str(raw_rows(exports))  # the export, not its rows


def admin_datetime(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def test_designations_are_recorded(client, network_admin, org_a):
    user = builders.make_user("designated")
    client.force_login(network_admin)
    start = timezone.now() - timedelta(minutes=5)
    data = {"organisation": org_a.pk, "user": user.pk, "role": "primary", "active_from": admin_datetime(start)}
    before = last_sequence()

    assert (
        client.post(reverse("vse_referrals_contactpoint_modeladmin_create"), data, REMOTE_ADDR=ADDRESS).status_code
        == 302
    )
    designation = ContactPoint.objects.get(user=user)
    edit_url = reverse("vse_referrals_contactpoint_modeladmin_edit", args=[designation.pk])
    later = admin_datetime(start + timedelta(minutes=2))  # a later start: a change that grants less
    assert client.post(edit_url, {**data, "active_from": later, "active_until": ""}).status_code == 302
    ended = admin_datetime(timezone.now() - timedelta(minutes=1))
    assert client.post(edit_url, {**data, "active_until": ended}).status_code == 302
    delete_url = reverse("vse_referrals_contactpoint_modeladmin_delete", args=[designation.pk])
    assert client.post(delete_url).status_code == 302

    entries = entries_after(before)
    assert [entry.action for entry in entries] == [
        AuditAction.DESIGNATION_CREATED,
        AuditAction.DESIGNATION_CHANGED,
        AuditAction.DESIGNATION_ENDED,
        AuditAction.DESIGNATION_DELETED,
    ]
    for entry in entries:
        assert (entry.user_id, entry.content_type.model_class(), entry.object_id) == (
            network_admin.pk,
            ContactPoint,
            str(designation.pk),
        )
        assert entry.data == {"organisation": org_a.pk, "user": user.pk, "role": "primary"}
    assert entries[0].client_address == ADDRESS


def test_a_refused_designation_records_nothing(client, network_admin, org_a):
    client.force_login(network_admin)
    before = last_sequence()
    data = {"organisation": org_a.pk, "user": "", "role": "primary", "active_from": "yesterday-ish"}
    assert client.post(reverse("vse_referrals_contactpoint_modeladmin_create"), data).status_code == 200
    assert entries_after(before) == []


def test_a_two_step_reset_is_recorded(client, sender, network_admin):
    designation = ContactPoint.objects.get(user=sender)
    client.force_login(network_admin)
    before = last_sequence()
    url = reverse("vse_referrals_contactpoint_modeladmin_reset_two_factor", args=[designation.pk])
    assert client.post(url, REMOTE_ADDR=ADDRESS).status_code == 302
    [entry] = entries_after(before)
    assert (entry.action, entry.user_id, entry.client_address) == (
        AuditAction.TWO_FACTOR_RESET,
        network_admin.pk,
        ADDRESS,
    )
    assert (entry.content_type.model_class(), entry.object_id, entry.label) == (
        get_user_model(),
        str(sender.pk),
        sender.username,
    )


# Refused changes ----------------------------------------------------------------------------------


def test_python_refuses_to_change_or_delete_entries(case):
    entry = AuditEntry.objects.first()
    for change in (
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(username="someone"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: AuditEntry.objects.all().delete(),
        entry.delete,
        entry.save,
    ):
        with pytest.raises(AppendOnlyError, match="append-only"):
            change()


@pytest.mark.parametrize(
    "sql",
    [f"UPDATE {TABLE} SET username = 'someone'", f"DELETE FROM {TABLE}", f"DELETE FROM {TABLE} WHERE sequence = 1"],
)
def test_the_database_refuses_update_and_delete(case, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql)
    assert AuditEntry.objects.filter(sequence=1, username="sender-a").exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's (SQLite has none)")
def test_postgresql_refuses_truncate(case):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"TRUNCATE {TABLE}")
    assert AuditEntry.objects.exists()


def test_maintenance_is_needed_to_delete_and_ends_with_the_block(case, sender):
    workflow.record_view(case, builders.acting(sender))
    with audit.maintenance():
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            raw(f"UPDATE {TABLE} SET username = 'someone'")  # never an update
        raw(f"DELETE FROM {TABLE} WHERE sequence = 1")
    assert not AuditEntry.objects.filter(sequence=1).exists()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"DELETE FROM {TABLE}")


def test_flush_erases_the_log_and_the_protection_stays(case, sender):
    # Inside the test's transaction, which puts everything back afterwards. The flush after each
    # transactional test (browser tests, races) is the same command.
    workflow.record_view(case, builders.acting(sender))
    if connection.vendor == "postgresql":
        raw("SET CONSTRAINTS ALL IMMEDIATE")  # TRUNCATE waits for no deferred check
    call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
    assert not AuditEntry.objects.exists()
    for _ in range(2):
        audit.record(AuditAction.EXPORTED)  # a new chain starts
    assert list(AuditEntry.objects.values_list("sequence", flat=True).order_by("sequence")) == [1, 2]
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(f"DELETE FROM {TABLE}")
    assert "OK: 2 entries" in call_command_output("verify_audit_log")


# Verification -------------------------------------------------------------------------------------


@pytest.fixture
def chain(case, sender, receiver):
    """Six entries: sent, then viewed by each side, opened, accepted, viewed."""
    workflow.record_view(case, builders.acting(sender))
    case = workflow.open_if_receiver(case, builders.acting(receiver))
    workflow.record_view(case, builders.acting(receiver))
    case = workflow.perform(case, "accept", builders.acting(receiver))
    workflow.record_view(case, builders.acting(sender))
    assert last_sequence() == 6
    return case


def test_verify_passes_on_an_intact_log(chain):
    output = call_command_output("verify_audit_log")
    last = AuditEntry.objects.get(sequence=6)
    assert output.strip() == f"Audit log OK: 6 entries, last hash {last.hash}."


def test_verify_names_an_altered_entry(chain, triggers_bypassed):
    with triggers_bypassed():
        raw(f"UPDATE {TABLE} SET username = 'someone-else' WHERE sequence = 3")
    entry = AuditEntry.objects.get(sequence=3)
    assert verify_problem() == (
        f"Audit log broken after 2 good entries. The content of entry #3 (id {entry.pk}) was altered: "
        "it does not match its hash."
    )


def test_verify_finds_an_entry_altered_with_a_new_hash(chain, triggers_bypassed):
    entry = AuditEntry.objects.get(sequence=3)
    entry.client_address = "198.51.100.1"
    with triggers_bypassed():
        raw(
            f"UPDATE {TABLE} SET client_address = %s, hash = %s WHERE id = %s",
            [entry.client_address, entry.compute_hash(), entry.pk],
        )
    following = AuditEntry.objects.get(sequence=4)
    assert f"Entry #4 (id {following.pk}) does not follow entry #3" in verify_problem()


def test_verify_names_a_deleted_entry(chain, triggers_bypassed):
    with triggers_bypassed():
        raw(f"DELETE FROM {TABLE} WHERE sequence = 4")
    following = AuditEntry.objects.get(sequence=5)
    assert f"Entries #4 to #4 are missing, before entry #5 (id {following.pk})" in verify_problem()


def test_verify_finds_entries_removed_from_the_end(chain, triggers_bypassed):
    with triggers_bypassed():
        raw(f"DELETE FROM {TABLE} WHERE sequence >= 5")
    assert "Entries #5 to #6 are missing at the end of the log." in verify_problem()


def test_verify_finds_a_cut_end_with_the_head_moved_back_against_an_earlier_hash(chain, triggers_bypassed):
    """The head is the app's own row: whoever can rewrite it cuts the end unseen, except against a
    last hash an earlier run printed and that was kept elsewhere."""
    from vse_referrals.models import AuditChainHead

    kept = AuditEntry.objects.get(sequence=6).hash
    fourth = AuditEntry.objects.get(sequence=4)
    with triggers_bypassed():
        raw(f"DELETE FROM {TABLE} WHERE sequence >= 5")
    AuditChainHead.objects.update(sequence=4, hash=fourth.hash)
    assert "OK: 4 entries" in call_command_output("verify_audit_log")  # unseen without the copy
    with pytest.raises(CommandError) as error:
        call_command("verify_audit_log", "--known", kept, stdout=StringIO())
    assert f"no longer holds an entry with the hash printed by an earlier run ({kept})" in str(error.value)
    assert "OK: 4 entries" in call_command_output("verify_audit_log", "--known", fourth.hash)


def test_verify_finds_reordered_entries(chain, triggers_bypassed):
    with triggers_bypassed():
        raw(f"UPDATE {TABLE} SET sequence = 100 WHERE sequence = 2")
        raw(f"UPDATE {TABLE} SET sequence = 2 WHERE sequence = 3")
        raw(f"UPDATE {TABLE} SET sequence = 3 WHERE sequence = 100")
    assert "The content of entry #2" in verify_problem()


def test_verify_finds_disabled_triggers(chain, triggers_bypassed):
    with triggers_bypassed():
        problem = verify_problem()
    assert "Triggers that refuse changes to the audit log are missing or disabled" in problem
    assert "OK" in call_command_output("verify_audit_log")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="SQLite in-memory test databases cannot be shared between threads (see test_workflow's race test); "
    "this runs on PostgreSQL",
)
def test_concurrent_appends_do_not_fork_the_chain(sender):
    audit.record(AuditAction.EXPORTED)  # the chain head exists: the race is on the lock, not its creation
    threads_count, rounds = 6, 5
    barrier = threading.Barrier(threads_count)
    errors = []

    def append():
        try:
            actor = builders.acting(get_user_model().objects.get(pk=sender.pk))
            barrier.wait(timeout=10)
            for _round in range(rounds):
                audit.record(AuditAction.EXPORTED, actor=actor)
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=append) for _ in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    count = 1 + threads_count * rounds
    assert sorted(AuditEntry.objects.values_list("sequence", flat=True)) == list(range(1, count + 1))
    assert f"OK: {count} entries" in call_command_output("verify_audit_log")


# Retention and cost ----------------------------------------------------------------------------


def test_the_purge_keeps_the_audit_log(chain, receiver, django_capture_on_commit_callbacks):
    case = workflow.perform(chain, "close", builders.acting(receiver), outcome="supported")
    before = list(AuditEntry.objects.order_by("sequence").values_list("sequence", "hash"))
    with django_capture_on_commit_callbacks(execute=True):
        result = retention.run(now=timezone.now() + timedelta(days=400))
    assert result.purged == [case.reference]
    assert list(AuditEntry.objects.order_by("sequence").values_list("sequence", "hash")) == before
    assert "OK" in call_command_output("verify_audit_log")


def test_recording_a_view_costs_three_queries_beyond_the_timeline(case, sender):
    actor = builders.acting(sender)
    with CaptureQueriesContext(connection) as queries:
        workflow.record_view(case, actor)
    # The timeline's insert, then: lock the chain head, insert the entry, move the head.
    assert len(queries) == 4, [query["sql"] for query in queries]


# Wagtail's Site history --------------------------------------------------------------------------


def history_html(client, user):
    client.force_login(user)
    response = client.get(SITE_HISTORY_URL)
    assert response.status_code == 200
    return response.content.decode()


def test_network_administrators_read_the_log_in_site_history(client, chain, network_admin, sender, org_a):
    html = history_html(client, network_admin)
    assert chain.reference in html and "Referral viewed" in html and f"for {org_a.name}" in html
    assert "Referral status changed, Opened to Accepted" in html
    assert sender.username in html
    assert_no_case_content()
    assert SENTINEL not in html
    for value in builders.PERSONAL_VALUES.values():
        assert value not in html


def test_the_view_audit_log_permission_and_superusers_read_it(client, chain):
    auditor = builders.make_user("auditor")
    auditor.user_permissions.add(Permission.objects.get(codename="view_audit_log"))
    for user in (auditor, builders.make_superuser()):
        assert chain.reference in history_html(client, user)


def test_points_of_contact_and_editors_do_not_see_the_log(client, chain, sender, receiver):
    editor = builders.make_user("page-editor")
    editor.groups.add(Group.objects.get(name="Editors"))
    for user in (sender, receiver, editor):
        html = history_html(client, user)
        assert chain.reference not in html and "Referral viewed" not in html
        assert not AuditEntry.objects.viewable_by_user(user).exists()
