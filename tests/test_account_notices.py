"""Account notices (vse_referrals.accounts): a point of contact is told by e-mail when their
password or e-mail address changes, through the outbox, without the new secret."""

import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse

from vse_referrals import notifications
from vse_referrals.models import Notification

from . import builders
from .test_notifications import LOCMEM, UNREACHABLE

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a much longer new passphrase 2026"


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    """Run `action` and return the e-mails it sent once committed."""

    def run(action):
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            action()
        return list(mail.outbox)

    return run


def test_a_password_change_is_notified(sender, sent):
    def change():
        sender.set_password(NEW_PASSWORD)
        sender.save()

    [email] = sent(change)
    assert email.to == [sender.email]
    assert email.subject == "Your password was changed"
    assert sender.username in email.body and "tell your organisation's administrator" in email.body
    assert NEW_PASSWORD not in email.body


def test_an_email_change_is_notified_to_the_old_and_the_new_address(sender, sent):
    old = sender.email

    def change():
        sender.email = "new.address@example.org"
        sender.save()

    emails = sent(change)
    assert sorted(address for email in emails for address in email.to) == sorted([old, "new.address@example.org"])
    assert {email.subject for email in emails} == {"Your e-mail address was changed"}


def test_other_saves_and_other_users_send_nothing(sender, sent, org_a):
    def sign_in_time():
        sender.last_login = sender.date_joined
        sender.save(update_fields=["last_login"])

    def name_change():
        sender.first_name = "Renamed"
        sender.save()

    assert sent(sign_in_time) == [] and sent(name_change) == []
    outsider = builders.make_user("not-a-contact-point")

    def outsider_change():
        outsider.set_password(NEW_PASSWORD)
        outsider.save()

    assert sent(outsider_change) == []


def test_changing_the_password_in_the_admin_tells_the_contact_point(client, sender, sent):
    sender.set_password("old enough password 1")
    sender.save()
    client.force_login(sender)
    url = reverse("wagtailadmin_account")
    # The account page is one form of several panels: post what it shows, with the new password.
    page = BeautifulSoup(client.get(url).content, "html.parser").select_one("form[method=post]")
    data = {
        field["name"]: field.get("value", "") for field in page.select("input[name]") if field.get("type") != "checkbox"
    }
    for select in page.select("select[name]"):
        chosen = select.select_one("option[selected]") or select.select_one("option")
        data[select["name"]] = chosen.get("value", "") if chosen else ""
    data.update(
        {
            "password-old_password": "old enough password 1",
            "password-new_password1": NEW_PASSWORD,
            "password-new_password2": NEW_PASSWORD,
        }
    )

    def change():
        assert client.post(url, data).status_code == 302

    emails = sent(change)
    assert [email.subject for email in emails] == ["Your password was changed"]


def test_a_mail_outage_keeps_the_notice_in_the_outbox(sender, settings, sent):
    settings.EMAIL_BACKEND = UNREACHABLE

    def change():
        sender.set_password(NEW_PASSWORD)
        sender.save()

    assert sent(change) == []
    notice = Notification.objects.get(kind="password-changed")
    assert (notice.case, notice.sent_at, notice.attempts, notice.last_error) == (
        None,
        None,
        1,
        "ConnectionRefusedError",
    )
    settings.EMAIL_BACKEND = LOCMEM
    assert notifications.retry_undelivered() == 1
    assert mail.outbox[-1].subject == "Your password was changed"


def test_a_password_rehashed_at_sign_in_is_not_a_change(sender, sent, settings):
    # After an upgrade Django re-hashes a password when it is next checked, and saves it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    sender.set_password("old enough password 1")
    sender.save()
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher", *settings.PASSWORD_HASHERS]
    stored = sender.password

    def sign_in_check():
        assert sender.check_password("old enough password 1")

    assert sent(sign_in_check) == []
    sender.refresh_from_db()
    assert sender.password != stored and sender.password.startswith("pbkdf2_")  # it was re-hashed and saved
