"""Encryption at rest (vse_referrals.crypto): what the database and the disk hold, and key rotation."""

import datetime
import io
import re
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, transaction

from vse_referrals import crypto, workflow
from vse_referrals.models import CaseAttachment, CaseEvent, CaseMessage, ReferralCase

from . import builders

pytestmark = pytest.mark.django_db

MESSAGE = "Her sister Agnieszka will come with her to the appointment"
DECLINE_REASON = "We already support Zofia's ex-partner: conflict of interest"
FILE_NAME = "Kowalska medical report.txt"
FILE_BYTES = b"Medical report of Zofia Kowalska-Nightingale: fractured wrist, bruising"
DATE_OF_BIRTH = datetime.date(1987, 3, 29)
CAREGIVER = "Agnieszka Kowalska, sister"
CIRCUMSTANCES = "Followed from the Gare du Midi by two men"
SECRETS = [
    *builders.PERSONAL_VALUES.values(),
    CAREGIVER,
    CIRCUMSTANCES,
    MESSAGE,
    DECLINE_REASON,
    FILE_NAME,
    FILE_BYTES.decode(),
    DATE_OF_BIRTH.isoformat(),
    "Agnieszka",
    "Kowalska",
]


def new_key():
    return Fernet.generate_key().decode()


def dump_tables(names):
    """Every value of every row of the tables `names`, as text, read with raw SQL."""
    text = []
    with connection.cursor() as cursor:
        for table in names:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = bytes(value)
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    text.append(str(value))
    return "\n".join(text)


def referral_tables():
    return [name for name in connection.introspection.table_names() if name.startswith("vse_referrals_")]


def assert_no_secrets(text):
    for secret in SECRETS:
        assert secret.casefold() not in text.casefold(), secret


def stored_files(root):
    return [path for path in Path(root).rglob("*") if path.is_file()]


@pytest.fixture
def full_case(sender, receiver, org_b):
    """A case with personal data everywhere: fields, messages, a file, an answer and a decline."""
    case = builders.sent_case(
        sender,
        org_b,
        date_of_birth=DATE_OF_BIRTH,
        caregiver=CAREGIVER,
        circumstances=CIRCUMSTANCES,
    )
    workflow.open_if_receiver(case, builders.acting(receiver))
    workflow.add_message(case, builders.acting(sender), f"<p>{MESSAGE}</p>")
    workflow.add_attachment(case, builders.acting(sender), SimpleUploadedFile(FILE_NAME, FILE_BYTES), "text/plain")
    return workflow.perform(case, "decline", builders.acting(receiver), reason=DECLINE_REASON)


# What the database holds ------------------------------------------------------------------------


def test_referral_tables_hold_no_personal_data_in_plain_text(full_case, org_a):
    tables = referral_tables()
    for table in (
        "vse_referrals_referralcase",
        "vse_referrals_casemessage",
        "vse_referrals_caseevent",
        "vse_referrals_caseattachment",
        "vse_referrals_notification",
    ):
        assert table in tables
    assert CaseMessage.objects.count() == 1 and CaseAttachment.objects.count() == 1
    assert CaseEvent.objects.filter(detail__isnull=False).count() >= 4

    text = dump_tables(tables)

    # The dump does see the rows: plain metadata is there.
    assert full_case.reference in text and org_a.name in text and "rejected" in text
    assert_no_secrets(text)


def test_no_table_at_all_holds_personal_data_in_plain_text(full_case):
    text = dump_tables(connection.introspection.table_names())
    assert full_case.reference in text
    assert_no_secrets(text)


def test_personal_data_reads_back_decrypted(full_case):
    case = ReferralCase.objects.get(pk=full_case.pk)
    for field, value in builders.PERSONAL_VALUES.items():
        assert getattr(case, field) == value
    assert (case.date_of_birth, case.caregiver, case.circumstances) == (DATE_OF_BIRTH, CAREGIVER, CIRCUMSTANCES)
    assert case.status_reason == DECLINE_REASON
    assert CaseMessage.objects.get().body == f"<p>{MESSAGE}</p>"
    assert CaseAttachment.objects.get().original_name == FILE_NAME
    assert CaseEvent.objects.filter(kind="declined").get().detail == DECLINE_REASON


def test_attachment_bytes_on_disk_are_encrypted(full_case, settings):
    attachment = CaseAttachment.objects.get()
    files = stored_files(settings.VSE_REFERRALS_ATTACHMENT_ROOT)
    assert len(files) == 1
    stored = files[0].read_bytes()
    assert FILE_BYTES not in stored and b"Kowalska" not in stored
    assert "Kowalska" not in str(files[0])
    assert attachment.read() == FILE_BYTES


def test_attachments_have_no_public_url(full_case):
    with pytest.raises(ValueError):
        CaseAttachment.objects.get().file.url  # noqa: B018


def test_str_of_a_case_is_its_reference_only(full_case):
    assert str(full_case) == full_case.reference
    assert re.fullmatch(r"VSE-\d{4}-\d{5}", str(full_case))
    assert_no_secrets(repr(full_case))


# Filtering on encrypted columns -----------------------------------------------------------------


@pytest.mark.parametrize(
    "lookup",
    [
        {"name": "x"},
        {"name__icontains": "zofia"},
        {"phone__startswith": "+48"},
        {"referral_reason__in": ["x"]},
        {"date_of_birth": DATE_OF_BIRTH},
        {"date_of_birth__year": 1987},
        {"status_reason": ""},
    ],
    ids=lambda lookup: next(iter(lookup)),
)
def test_filtering_on_an_encrypted_field_is_refused(lookup):
    with pytest.raises(FieldError):
        ReferralCase.objects.filter(**lookup)
    with pytest.raises(FieldError):
        ReferralCase.objects.exclude(**lookup)


def test_filtering_through_a_relation_on_an_encrypted_field_is_refused():
    with pytest.raises(FieldError):
        CaseMessage.objects.filter(case__name="x")
    with pytest.raises(FieldError):
        CaseMessage.objects.filter(body__contains="x")


def test_isnull_and_plain_metadata_filters_still_work(full_case):
    assert list(ReferralCase.objects.filter(date_of_birth__isnull=False)) == [full_case]
    assert list(ReferralCase.objects.filter(date_of_birth__isnull=True)) == []
    assert list(ReferralCase.objects.filter(reference=full_case.reference, status="rejected")) == [full_case]


# Keys -------------------------------------------------------------------------------------------


@pytest.fixture
def old_key(settings):
    key = new_key()
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [key]
    return key


@pytest.fixture
def written_with_old_key(old_key, full_case):
    return full_case


def test_values_written_with_the_old_key_still_decrypt_after_a_new_key_is_added(
    settings, old_key, written_with_old_key
):
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [new_key(), old_key]
    case = ReferralCase.objects.get(pk=written_with_old_key.pk)
    assert case.name == builders.PERSONAL_VALUES["name"]
    assert case.date_of_birth == DATE_OF_BIRTH
    assert CaseMessage.objects.get().body == f"<p>{MESSAGE}</p>"
    assert CaseAttachment.objects.get().read() == FILE_BYTES


def test_new_values_are_written_with_the_first_key(settings, old_key, written_with_old_key):
    newest = new_key()
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [newest, old_key]
    case = ReferralCase.objects.get(pk=written_with_old_key.pk)
    case.save()

    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [newest]
    assert ReferralCase.objects.get(pk=case.pk).name == builders.PERSONAL_VALUES["name"]
    with pytest.raises(crypto.DecryptionError):
        CaseMessage.objects.get()  # not rewritten: still under the old key only


def test_an_unknown_key_raises_instead_of_returning_ciphertext(settings, old_key, written_with_old_key):
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [new_key()]
    with pytest.raises(crypto.DecryptionError) as error:
        ReferralCase.objects.get(pk=written_with_old_key.pk)
    assert "gAAAAA" not in str(error.value)  # no Fernet token in the message
    with pytest.raises(crypto.DecryptionError):
        ReferralCase.objects.values_list("name", flat=True).get(pk=written_with_old_key.pk)
    with pytest.raises(crypto.DecryptionError):
        CaseMessage.objects.get()
    with pytest.raises(crypto.DecryptionError):
        CaseAttachment.objects.only("id", "file").get().read()


def test_metadata_stays_readable_without_the_key(settings, old_key, written_with_old_key):
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [new_key()]
    case = ReferralCase.objects.metadata().get(pk=written_with_old_key.pk)
    assert (case.reference, case.status, case.priority) == (written_with_old_key.reference, "rejected", "urgent")


@pytest.mark.parametrize("keys", [[], ()])
def test_no_key_is_a_configuration_error(settings, keys, org_a, org_b):
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = keys
    with pytest.raises(ImproperlyConfigured), transaction.atomic():
        builders.make_case(org_a, org_b)
    assert not ReferralCase.objects.exists()


def test_no_key_is_a_configuration_error_when_reading_too(settings, full_case):
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = []
    with pytest.raises(ImproperlyConfigured):
        ReferralCase.objects.get(pk=full_case.pk)


def test_an_invalid_key_is_a_configuration_error(settings, org_a, org_b):
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = ["not a fernet key"]
    with pytest.raises(ImproperlyConfigured), transaction.atomic():
        builders.make_case(org_a, org_b)


def test_the_rotation_command_re_encrypts_everything_with_the_newest_key(settings, old_key, written_with_old_key):
    newest = new_key()
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [newest, old_key]
    before = dump_tables(referral_tables())

    call_command("rotate_referral_keys", stdout=io.StringIO())

    after = dump_tables(referral_tables())
    assert after != before
    assert_no_secrets(after)
    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [newest]
    case = ReferralCase.objects.get(pk=written_with_old_key.pk)
    assert (case.name, case.status_reason, case.date_of_birth) == (
        builders.PERSONAL_VALUES["name"],
        DECLINE_REASON,
        DATE_OF_BIRTH,
    )
    assert CaseMessage.objects.get().body == f"<p>{MESSAGE}</p>"
    assert CaseEvent.objects.filter(kind="declined").get().detail == DECLINE_REASON
    attachment = CaseAttachment.objects.get()
    assert (attachment.original_name, attachment.read()) == (FILE_NAME, FILE_BYTES)

    settings.VSE_REFERRALS_ENCRYPTION_KEYS = [old_key]
    with pytest.raises(crypto.DecryptionError):
        ReferralCase.objects.get(pk=case.pk)
    with pytest.raises(crypto.DecryptionError):
        attachment.read()
