"""Retention (vse_referrals.retention, `purge_referral_data`): closed cases lose their personal
data once their retention period has passed; the metadata and the timeline's entries remain."""

import logging
from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from vse_referrals import retention, workflow
from vse_referrals.crypto import EncryptedFieldMixin
from vse_referrals.models import (
    CaseAttachment,
    CaseEvent,
    CaseMessage,
    EventKind,
    Language,
    Outcome,
    ReferralCase,
    Status,
)

from . import builders
from .test_case_access import attach

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def closed(sender, receiver, org_b, committed):
    """A referral with a file and a conversation, accepted and closed with an outcome."""
    with committed():
        case = builders.sent_case(sender, org_b, leaves_country_on=timezone.localdate() + 5 * DAY)
        case.languages.set(Language.objects.filter(code__in=["pl", "en"]))
        attach(case, sender)
        workflow.add_message(case, builders.acting(sender), "<p>She asked for Zofia's sister to be present.</p>")
        case = workflow.perform(case, "accept", builders.acting(receiver))
        workflow.add_message(case, builders.acting(receiver), "<p>Call planned at the shelter on Rue Haute.</p>")
        case = workflow.perform(
            case, "close", builders.acting(receiver), outcome=Outcome.SUPPORTED, reason="Met Zofia twice."
        )
    return ReferralCase.objects.get(pk=case.pk)


@pytest.fixture
def purge(committed):
    def purge_at(now=None, **kwargs):
        with committed():
            return retention.run(now=now, **kwargs)

    return purge_at


def encrypted_fields():
    return [field for field in ReferralCase._meta.concrete_fields if isinstance(field, EncryptedFieldMixin)]


def stored_files(root):
    return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


def everything_readable(case):
    """Every decrypted text a party (or a database reader with the keys) could see of the case."""
    values = [str(getattr(case, field.attname)) for field in encrypted_fields()]
    values += [message.body for message in CaseMessage.objects.filter(case=case)]
    values += [attachment.original_name for attachment in CaseAttachment.objects.filter(case=case)]
    values += [event.detail for event in CaseEvent.objects.filter(case=case)]
    return " ".join(values)


def test_a_closed_case_is_kept_for_the_retention_period_then_purged(closed, purge, settings, private_attachment_root):
    days = settings.VSE_REFERRALS_RETENTION_DAYS = 365
    assert closed.purge_after == closed.closed_at + timedelta(days=days)
    assert len(stored_files(private_attachment_root)) == 1
    events_before = list(CaseEvent.objects.filter(case=closed).values_list("kind", "created_at"))
    assert "Zofia" in everything_readable(closed)

    assert purge(closed.closed_at + (days - 1) * DAY).purged == []
    assert ReferralCase.objects.get(pk=closed.pk).purged_at is None

    when = closed.closed_at + (days + 1) * DAY
    result = purge(when)
    assert (result.purged, result.files_deleted) == ([closed.reference], 1)

    case = ReferralCase.objects.get(pk=closed.pk)
    assert case.purged_at == when
    for field in encrypted_fields():
        assert getattr(case, field.attname) in ("", None), field.name
    for value in builders.PERSONAL_VALUES.values():
        assert value not in everything_readable(case)
    assert "Zofia" not in everything_readable(case) and "Rue Haute" not in everything_readable(case)
    assert (case.contact_channels, case.leaves_country_on, list(case.languages.all())) == ([], None, [])
    # Nor the categories that, through the reference, would still describe a known person.
    assert (case.crime_type, case.age_band, case.support_needed, case.outcome) == ("", "unknown", [], "")
    assert not (case.risk_intimidation or case.complaint_filed or case.crime_country)
    assert not CaseMessage.objects.filter(case=case).exists()
    assert not CaseAttachment.objects.filter(case=case).exists()
    assert stored_files(private_attachment_root) == []
    # What the VSE overview shows stays, and so does the timeline.
    assert (case.reference, case.status, case.priority) == (closed.reference, Status.COMPLETED, closed.priority)
    assert (case.sending_organisation_id, case.receiving_organisation_id) == (
        closed.sending_organisation_id,
        closed.receiving_organisation_id,
    )
    assert (case.sent_at, case.closed_at, case.updated_at) == (closed.sent_at, closed.closed_at, closed.updated_at)
    assert (case.consent_obtained_on, case.consent_method, case.consent_to_share) == (
        closed.consent_obtained_on,
        closed.consent_method,
        True,
    )
    events = list(CaseEvent.objects.filter(case=case).values_list("kind", "created_at"))
    assert events == [*events_before, (EventKind.PURGED, when)]


def test_withdrawn_consent_is_purged_on_the_next_run(sender, org_b, purge, committed):
    with committed():
        case = builders.sent_case(sender, org_b)
        case = workflow.perform(case, "withdraw_consent", builders.acting(sender))
    assert purge().purged == [case.reference]
    assert ReferralCase.objects.get(pk=case.pk).name == ""


def test_running_again_changes_nothing(closed, purge):
    later = closed.purge_after + DAY
    assert purge(later).purged == [closed.reference]
    events = CaseEvent.objects.filter(case=closed).count()
    assert purge(later + DAY).purged == []
    assert retention.purge_case(closed.pk, later + DAY) is None  # a second machine finding it purged
    assert CaseEvent.objects.filter(case=closed).count() == events


def test_open_cases_are_never_purged(sender, org_b, purge, committed):
    with committed():
        case = builders.sent_case(sender, org_b)
    ReferralCase.objects.filter(pk=case.pk).update(purge_after=timezone.now() - DAY)  # whatever the reason
    assert purge().purged == []
    assert ReferralCase.objects.get(pk=case.pk).name == builders.PERSONAL_VALUES["name"]


def test_the_parties_see_that_the_data_was_purged(client, closed, purge, sender):
    purge(closed.purge_after + DAY)
    url = reverse("vse_referrals:case", args=[closed.pk])
    client.force_login(sender)
    html = client.get(url).content.decode()
    assert "The personal data of this case was purged on" in html
    assert closed.reference in html and builders.PERSONAL_VALUES["name"] not in html
    outsider = builders.make_contact_point(builders.make_organisation("Organisation C", country="DE"))
    for user in (builders.make_superuser(), outsider):
        client.force_login(user)
        assert client.get(url).status_code == 404, user


def test_command_dry_run_lists_and_changes_nothing(closed, settings, caplog, committed):
    settings.VSE_REFERRALS_RETENTION_DAYS = 0
    ReferralCase.objects.filter(pk=closed.pk).update(purge_after=timezone.now() - DAY)
    out = StringIO()
    call_command("purge_referral_data", "--dry-run", stdout=out)
    assert out.getvalue().strip() == (
        f"Referrals due for purging: 1 ({closed.reference}); stale drafts due for deletion: 0."
    )
    assert ReferralCase.objects.get(pk=closed.pk).purged_at is None

    out = StringIO()
    with caplog.at_level(logging.INFO, logger="vse_referrals"), committed():
        call_command("purge_referral_data", stdout=out)
    assert out.getvalue().strip() == "Purged the personal data of 1 referrals; deleted 0 stale drafts."
    assert ReferralCase.objects.get(pk=closed.pk).purged_at is not None
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert closed.reference in logged
    for value in builders.PERSONAL_VALUES.values():
        assert value not in logged + out.getvalue()


def test_drafts_untouched_for_the_retention_period_are_deleted(
    sender, org_a, org_b, purge, settings, private_attachment_root
):
    settings.VSE_REFERRALS_RETENTION_DAYS = 30
    old = builders.make_case(org_a, org_b, created_by=sender)
    attach(old, sender)
    recent = builders.make_case(org_a, org_b, created_by=sender)
    ReferralCase.objects.filter(pk=old.pk).update(updated_at=timezone.now() - 31 * DAY)
    result = purge()
    assert (result.drafts_deleted, result.files_deleted, result.purged) == (1, 1, [])
    assert list(ReferralCase.objects.values_list("pk", flat=True)) == [recent.pk]
    assert stored_files(private_attachment_root) == []


def test_a_value_no_key_can_decrypt_does_not_stop_the_purge(closed, purge, settings):
    from cryptography.fernet import Fernet

    from vse_referrals import crypto

    # The case's values were written with a key that is no longer configured.
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = (Fernet.generate_key().decode(),)
    with pytest.raises(crypto.DecryptionError):
        ReferralCase.objects.get(pk=closed.pk)
    assert purge(closed.purge_after + DAY).purged == [closed.reference]
    assert ReferralCase.objects.filter(pk=closed.pk, purged_at__isnull=False).exists()


def test_a_failing_case_is_reported_and_the_others_are_purged(closed, sender, org_b, purge, committed, monkeypatch):
    ReferralCase.objects.filter(pk=closed.pk).update(purge_after=timezone.now() - DAY)
    with committed():
        other = workflow.perform(builders.sent_case(sender, org_b), "withdraw_consent", builders.acting(sender))
    real = retention.purge_case

    def failing(case_id, *args, **kwargs):
        if case_id == closed.pk:
            raise RuntimeError("disk full")
        return real(case_id, *args, **kwargs)

    monkeypatch.setattr(retention, "purge_case", failing)
    result = purge()
    assert (result.purged, result.failed) == ([other.reference], [closed.reference])
    out = StringIO()
    with pytest.raises(CommandError, match=closed.reference):
        call_command("purge_referral_data", stdout=out)


def test_a_file_that_cannot_be_deleted_is_logged_and_the_others_go(closed, sender, purge, monkeypatch, caplog):
    from vse_referrals import crypto

    # A second file, stored as add_attachment stores one (the case is closed: no one may add it now).
    extra = CaseAttachment(
        case=closed,
        uploaded_by=sender,
        organisation=closed.sending_organisation,
        original_name="second.pdf",
        content_type="application/pdf",
        size=3,
    )
    extra.file.save("upload", ContentFile(b"%PDF"), save=True)
    real_delete = crypto.attachment_storage.delete
    calls = []

    def delete(name):
        calls.append(name)
        if len(calls) == 1:
            raise PermissionError("read-only")
        real_delete(name)

    monkeypatch.setattr(crypto.attachment_storage, "delete", delete)
    with caplog.at_level(logging.ERROR, logger="vse_referrals"):
        result = purge(closed.purge_after + DAY)
    assert (len(calls), result.files_deleted) == (2, 1)
    assert "Could not delete attachment file" in caplog.text


def test_nothing_can_be_added_to_a_case_closed_or_purged_meanwhile(sender, receiver, org_b, committed):
    with committed():
        case = workflow.perform(builders.sent_case(sender, org_b), "accept", builders.acting(receiver))
    stale = ReferralCase.objects.get(pk=case.pk)  # what a page loaded before the purge holds
    with committed():
        workflow.perform(case, "withdraw_consent", builders.acting(sender))
        retention.run()
    with pytest.raises(workflow.TransitionNotAllowed):
        workflow.add_message(stale, builders.acting(receiver), "<p>Late message</p>")
    assert not CaseMessage.objects.filter(case=case).exists()
