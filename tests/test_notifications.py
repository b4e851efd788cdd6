"""E-mails about cases (vse_referrals.notifications): who gets them, what they say, and mail outages.

In a `django_db` test everything runs inside one transaction that is rolled back, so the
`on_commit` hook that sends the e-mails never fires by itself: tests that expect e-mails wrap the
action in `django_capture_on_commit_callbacks(execute=True)`, and the commit-or-rollback tests run
with real transactions (`transaction=True`).
"""

import logging
import smtplib
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail.backends.base import BaseEmailBackend
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from wagtail.users.models import UserProfile

from vse_referrals import conf, notifications, workflow
from vse_referrals.models import CaseEvent, EventKind, Notification, Outcome, Priority, ReferralCase, Status

from . import builders

pytestmark = pytest.mark.django_db

LOCMEM = "django.core.mail.backends.locmem.EmailBackend"
REFUSING = "tests.test_notifications.RefusingBackend"
UNREACHABLE = "tests.test_notifications.UnreachableBackend"

# Text contact points type: it stays in the case, never in an e-mail.
TYPED = {
    "decline": "SECRET-DECLINE: she is already known to our shelter",
    "request_information": "SECRET-QUESTION: which hotel is she staying at?",
    "give_information": "SECRET-ANSWER: Hotel Metropole room 214",
    "withdraw": "SECRET-WITHDRAW: the husband found out",
    "close": "SECRET-NOTES: phone switched off since Monday",
    "message": "SECRET-MESSAGE: her new number is 0470 11 22 33",
}

SENDER_SIDE = {"sender-a@example.org", "deputy-a@example.org"}
RECEIVER_SIDE = {"receiver-b@example.org"}


class RefusingBackend(BaseEmailBackend):
    """A mail server that refuses the recipients, naming them in the error like smtplib does."""

    def send_messages(self, messages):
        raise smtplib.SMTPRecipientsRefused(
            {
                address: (550, f"5.1.1 <{address}>: user unknown".encode())
                for message in messages
                for address in message.to
            }
        )


class UnreachableBackend(BaseEmailBackend):
    def send_messages(self, messages):
        raise ConnectionRefusedError(111, f"Connection refused while sending to {messages[0].to[0]}")


def recipients():
    """The address of every e-mail sent; each e-mail goes to exactly one person."""
    assert all(len(message.to) == 1 and not message.cc and not message.bcc for message in mail.outbox)
    return [message.to[0] for message in mail.outbox]


def act(case, name, user, **kwargs):
    if workflow.TRANSITIONS[name].reason_label:
        kwargs.setdefault("reason", TYPED.get(name, "A reason"))
    if workflow.TRANSITIONS[name].needs_outcome:
        kwargs.setdefault("outcome", Outcome.SUPPORTED)
    return workflow.perform(case, name, builders.acting(user), **kwargs)


@pytest.fixture
def draft(roles, sender, org_a, org_b):
    # Every role exists (deputies, ended and scheduled designations...): only the active are told.
    return builders.make_case(org_a, org_b, created_by=sender, priority=Priority.STAT)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs the on-commit hooks of what happens inside, as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def case_at(status, draft, sender, receiver, committed):
    steps = {
        Status.DRAFT: [],
        Status.REQUESTED: ["send"],
        Status.RECEIVED: ["send", "open"],
        Status.ACCEPTED: ["send", "accept"],
        Status.IN_PROGRESS: ["send", "accept", "start"],
        Status.ON_HOLD: ["send", "accept", "request_information"],
    }[status]
    case = draft
    with committed():
        for name in steps:
            case = act(case, name, sender if workflow.TRANSITIONS[name].side == "sender" else receiver)
    mail.outbox.clear()
    return case


# Who is told ------------------------------------------------------------------------------------


def test_sending_tells_only_the_active_contact_points_of_the_receiver(roles, draft, sender, committed):
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    assert recipients() == ["receiver-b@example.org"]
    # Not told: ended and scheduled contact points of B, superusers, staff, global permissions, others.
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {"receiver-b"}


TOLD = [
    # (transition, from status, who is told, outcome)
    ("open", Status.REQUESTED, SENDER_SIDE, ""),
    ("accept", Status.REQUESTED, SENDER_SIDE, ""),
    ("accept", Status.RECEIVED, SENDER_SIDE, ""),
    ("decline", Status.RECEIVED, SENDER_SIDE, ""),
    ("start", Status.ACCEPTED, SENDER_SIDE, ""),
    ("request_information", Status.IN_PROGRESS, SENDER_SIDE, ""),
    ("record_contact", Status.ACCEPTED, SENDER_SIDE, ""),
    ("close", Status.IN_PROGRESS, SENDER_SIDE, Outcome.SUPPORTED),
    ("close", Status.ACCEPTED, SENDER_SIDE, Outcome.UNREACHABLE),
    ("give_information", Status.ON_HOLD, RECEIVER_SIDE, ""),
    ("withdraw", Status.RECEIVED, RECEIVER_SIDE, ""),
    ("withdraw_consent", Status.ACCEPTED, RECEIVER_SIDE, ""),
]


@pytest.mark.parametrize(("name", "source", "told", "outcome"), TOLD, ids=[f"{t[0]}-{t[1]}-{t[3]}" for t in TOLD])
def test_each_status_change_tells_the_other_side(name, source, told, outcome, draft, sender, receiver, committed):
    case = case_at(source, draft, sender, receiver, committed)
    user = sender if workflow.TRANSITIONS[name].side == "sender" else receiver
    kwargs = {"outcome": outcome} if outcome else {}
    earlier = list(Notification.objects.values_list("pk", flat=True))
    with committed():
        act(case, name, user, **kwargs)
    assert sorted(recipients()) == sorted(told)
    event = CaseEvent.objects.filter(case=case).order_by("created_at", "pk").last()
    new = Notification.objects.exclude(pk__in=earlier)
    assert {(n.kind, n.sent_at is not None) for n in new} == {(event.kind, True)}


def test_expiry_tells_both_sides(draft, sender, receiver, committed):
    case = case_at(Status.RECEIVED, draft, sender, receiver, committed)
    grace = timedelta(hours=conf.get("EXPIRY_GRACE_HOURS"), minutes=1)
    ReferralCase.objects.filter(pk=case.pk).update(respond_by=case.sent_at - grace)
    case.refresh_from_db()
    with committed():
        workflow.perform(case, "expire")
    assert sorted(recipients()) == sorted(SENDER_SIDE | RECEIVER_SIDE)


def test_withdrawing_consent_on_a_draft_tells_nobody(draft, sender, committed):
    with committed():
        workflow.perform(draft, "withdraw_consent", builders.acting(sender))
    assert mail.outbox == []
    assert not Notification.objects.exists()


@pytest.mark.parametrize(("author", "told"), [("sender", RECEIVER_SIDE), ("receiver", SENDER_SIDE)])
def test_a_new_message_tells_the_other_side(author, told, draft, sender, receiver, committed):
    case = case_at(Status.ACCEPTED, draft, sender, receiver, committed)
    with committed():
        workflow.add_message(
            case, builders.acting({"sender": sender, "receiver": receiver}[author]), f"<p>{TYPED['message']}</p>"
        )
    assert sorted(recipients()) == sorted(told)


@pytest.mark.parametrize(("author", "told"), [("sender", RECEIVER_SIDE), ("receiver", SENDER_SIDE)])
def test_a_new_file_tells_the_other_side(author, told, draft, sender, receiver, committed):
    case = case_at(Status.ACCEPTED, draft, sender, receiver, committed)
    upload = SimpleUploadedFile("statement.txt", b"Statement of the victim", content_type="text/plain")
    with committed():
        workflow.add_attachment(
            case, builders.acting({"sender": sender, "receiver": receiver}[author]), upload, "text/plain"
        )
    assert sorted(recipients()) == sorted(told)


def test_a_file_added_to_a_draft_tells_nobody(draft, sender, committed):
    upload = SimpleUploadedFile("statement.txt", b"Statement of the victim", content_type="text/plain")
    with committed():
        workflow.add_attachment(draft, builders.acting(sender), upload, "text/plain")
    assert mail.outbox == []


def test_contact_points_without_an_address_get_no_notification(receiver, draft, sender, committed):
    receiver.email = ""
    receiver.save()
    Notification.objects.all().delete()  # the notice of the address change (see test_account_notices)
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    assert mail.outbox == []
    assert not Notification.objects.exists()


def test_a_superuser_designated_as_contact_point_is_told_like_anyone_else(org_b, draft, sender, committed):
    superuser = builders.make_superuser("designated-superuser")
    # Between the ended and the scheduled deputies of B (see the `roles` fixture).
    builders.designate(superuser, org_b, "deputy", started_ago=timedelta(hours=12), ends_in=timedelta(days=4))
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    assert sorted(recipients()) == sorted(RECEIVER_SIDE | {"designated-superuser@example.org"})


# What the e-mails say ---------------------------------------------------------------------------


def a_whole_story(draft, sender, receiver, committed):
    """Every kind of e-mail a case can produce, with text typed at each step."""
    with committed():
        case = act(draft, "send", sender)
        case = act(case, "open", receiver)
        case = act(case, "accept", receiver)
        case = act(case, "request_information", receiver)
        case = act(case, "give_information", sender)
        workflow.add_message(case, builders.acting(receiver), f"<p>{TYPED['message']}</p>")
        workflow.add_attachment(
            case,
            builders.acting(sender),
            SimpleUploadedFile(f"{builders.PERSONAL_VALUES['name']}.txt", b"x"),
            "text/plain",
        )
        case = act(case, "start", receiver)
        case = act(case, "record_contact", receiver)
        case = act(case, "close", receiver, outcome=Outcome.UNREACHABLE)
    return case


def test_emails_carry_reference_organisations_priority_and_link(draft, sender, receiver, committed, org_a, org_b):
    case = a_whole_story(draft, sender, receiver, committed)
    link = django_settings.WAGTAILADMIN_BASE_URL + reverse("vse_referrals:case", args=[case.pk])
    assert len(mail.outbox) == Notification.objects.count() == 17
    for message in mail.outbox:
        assert case.reference in message.subject
        assert "Emergency" in message.subject
        for text in (case.reference, org_a.name, org_b.name, "Emergency", link):
            assert text in message.body, (text, message.subject)


def test_emails_carry_no_personal_data_nor_typed_text(draft, sender, receiver, committed):
    a_whole_story(draft, sender, receiver, committed)
    assert len(mail.outbox) == Notification.objects.count() == 17
    forbidden = [*builders.PERSONAL_VALUES.values(), *TYPED.values(), "SECRET"]
    for message in mail.outbox:
        whole = "\n".join([message.subject, message.body, *message.to, str(message.extra_headers)])
        for value in forbidden:
            assert value.casefold() not in whole.casefold(), (value, message.subject)
        assert not getattr(message, "alternatives", None)
        assert not message.attachments


def test_writing_an_email_reads_no_personal_column(draft, sender, committed):
    """An e-mail says metadata only, so sending it neither reads nor decrypts the victim's data."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vse_referrals.crypto import EncryptedTextField

    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    pending = list(Notification.objects.values_list("pk", flat=True))
    Notification.objects.update(sent_at=None, claimed_at=None)  # to send again, here
    personal = [
        f'"{field.column}"' for field in ReferralCase._meta.concrete_fields if isinstance(field, EncryptedTextField)
    ]
    assert personal
    with CaptureQueriesContext(connection) as queries:
        assert all(notifications.deliver(pk) for pk in pending)
    read = [query["sql"] for query in queries if "vse_referrals_referralcase" in query["sql"]]
    assert read and not [column for sql in read for column in personal if column in sql]


def test_decline_and_withdraw_emails_do_not_quote_the_reason(draft, sender, receiver, committed):
    with committed():
        case = act(draft, "send", sender)
        declined = act(case, "decline", receiver)
    other = builders.make_case(draft.sending_organisation, draft.receiving_organisation, created_by=sender)
    with committed():
        act(act(other, "send", sender), "withdraw", sender)
    assert declined.status_reason == TYPED["decline"]
    bodies = "\n".join(message.subject + message.body for message in mail.outbox)
    assert len(mail.outbox) == 5  # send, decline (to two), send, withdraw
    assert TYPED["decline"] not in bodies and TYPED["withdraw"] not in bodies


# Mail outages -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "error_name"), [(REFUSING, "SMTPRecipientsRefused"), (UNREACHABLE, "ConnectionRefusedError")]
)
def test_a_mail_outage_neither_breaks_nor_undoes_the_transition(
    settings, caplog, backend, error_name, draft, sender, committed
):
    settings.EMAIL_BACKEND = backend
    caplog.set_level(logging.DEBUG)

    with committed():
        case = workflow.perform(draft, "send", builders.acting(sender))

    assert case.status == Status.REQUESTED
    assert ReferralCase.objects.get(pk=case.pk).status == Status.REQUESTED
    assert CaseEvent.objects.filter(case=case, kind=EventKind.SENT).count() == 1
    assert mail.outbox == []
    notification = Notification.objects.get()
    assert (notification.sent_at, notification.attempts, notification.last_error) == (None, 1, error_name)

    # The failure is logged, without any address or personal data.
    assert any(record.levelno >= logging.WARNING and record.name == notifications.__name__ for record in caplog.records)
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    assert "@" not in logged
    for value in builders.PERSONAL_VALUES.values():
        assert value not in logged

    # Once the mail server is back, the retry sends it, once.
    settings.EMAIL_BACKEND = LOCMEM
    assert notifications.retry_undelivered() == 1
    assert recipients() == ["receiver-b@example.org"]
    notification.refresh_from_db()
    assert notification.sent_at is not None and notification.attempts == 2
    assert notifications.retry_undelivered() == 0
    assert len(mail.outbox) == 1


def test_retries_stop_after_the_maximum_number_of_attempts(settings, draft, sender, committed):
    settings.EMAIL_BACKEND = UNREACHABLE
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    Notification.objects.update(attempts=notifications.MAX_ATTEMPTS - 1)
    assert notifications.retry_undelivered() == 0
    assert Notification.objects.get().attempts == notifications.MAX_ATTEMPTS

    settings.EMAIL_BACKEND = LOCMEM
    assert notifications.retry_undelivered() == 0
    assert mail.outbox == []


def test_a_delivered_notification_is_not_sent_again(draft, sender, committed):
    with committed():
        workflow.perform(draft, "send", builders.acting(sender))
    notification = Notification.objects.get()
    notifications.deliver_notification.call(notification.pk)
    assert notifications.retry_undelivered() == 0
    assert len(mail.outbox) == 1


# Only after the commit --------------------------------------------------------------------------


def test_emails_wait_for_the_commit(draft, sender, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        workflow.perform(draft, "send", builders.acting(sender))
        assert mail.outbox == []
        assert Notification.objects.get().sent_at is None
    assert len(callbacks) == 1
    assert recipients() == ["receiver-b@example.org"]
    assert Notification.objects.get().sent_at is not None


def test_without_a_commit_nothing_is_sent(draft, sender):
    # The test transaction never commits: the notification stays in the outbox, unsent.
    workflow.perform(draft, "send", builders.acting(sender))
    assert mail.outbox == []
    assert Notification.objects.get().sent_at is None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_emails_are_sent_when_the_transition_commits(org_a, org_b):
    sender = builders.make_contact_point(org_a, username="sender-a")
    receiver = builders.make_contact_point(org_b, username="receiver-b")
    case = workflow.perform(builders.make_case(org_a, org_b, created_by=sender), "send", builders.acting(sender))
    assert recipients() == ["receiver-b@example.org"]  # autocommit: sent at once
    mail.outbox.clear()

    with transaction.atomic():
        workflow.perform(case, "accept", builders.acting(receiver))
        assert mail.outbox == []
    assert recipients() == ["sender-a@example.org"]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_rolled_back_transition_sends_nothing(org_a, org_b):
    sender = builders.make_contact_point(org_a, username="sender-a")
    receiver = builders.make_contact_point(org_b, username="receiver-b")
    case = workflow.perform(builders.make_case(org_a, org_b, created_by=sender), "send", builders.acting(sender))
    mail.outbox.clear()

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        workflow.perform(case, "accept", builders.acting(receiver))
        raise Abandoned

    assert mail.outbox == []
    assert ReferralCase.objects.get(pk=case.pk).status == Status.REQUESTED
    assert not Notification.objects.filter(kind=EventKind.ACCEPTED).exists()


# Language ---------------------------------------------------------------------------------------


def speaks(user, language):
    profile = UserProfile.get_for_user(user)
    profile.preferred_language = language
    profile.save()


def test_each_email_is_written_in_its_recipients_language_not_the_senders(
    sender, receiver, receiver_deputy, committed, org_a, org_b
):
    draft = builders.make_case(org_a, org_b, created_by=sender, priority=Priority.STAT)
    speaks(sender, "es")
    speaks(receiver, "fr")
    speaks(receiver_deputy, "de")
    with committed(), translation.override("es"):  # the sender's request is in Spanish
        act(draft, "send", sender)
    emails = {message.to[0]: message for message in mail.outbox}
    assert set(emails) == {receiver.email, receiver_deputy.email}
    for user, language in ((receiver, "fr"), (receiver_deputy, "de")):
        with translation.override(language):
            headline = str(notifications.HEADLINES["sent"] % {"sender": org_a})
            priority = str(Priority.STAT.label)
            greeting = gettext("Hello %(recipient_name)s,") % {"recipient_name": user.get_full_name()}
        with translation.override("en"):
            assert headline != str(notifications.HEADLINES["sent"] % {"sender": org_a}), "no catalogue entry"
        message = emails[user.email]
        assert headline in message.subject and priority in message.subject
        assert greeting in message.body and headline in message.body and priority in message.body


def test_a_recipient_without_a_preference_gets_the_sites_language(draft, sender, receiver, committed, org_a):
    speaks(sender, "fr")
    with committed(), translation.override("fr"):
        act(draft, "send", sender)
    (message,) = [message for message in mail.outbox if message.to == [receiver.email]]
    with translation.override("en"):
        assert str(notifications.HEADLINES["sent"] % {"sender": org_a}) in message.subject
