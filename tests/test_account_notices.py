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


# Nobody sets a point of contact's password or e-mail address but themselves ----------------------


def user_edit_data(client, url):
    """What Wagtail's user edit form posts unchanged (its inputs and selects as shown)."""
    form = BeautifulSoup(client.get(url).content, "html.parser").select_one("form[method=post]")
    data = {
        field["name"]: field.get("value", "")
        for field in form.select("input[name]")
        if field.get("type") not in ("checkbox", "radio", "password")
    }
    data.update({field["name"]: field.get("value", "on") for field in form.select("input[type=checkbox][checked]")})
    for select in form.select("select[name]"):
        data[select["name"]] = [option.get("value", "") for option in select.select("option[selected]")]
    return data


@pytest.mark.parametrize(
    "change",
    [
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        {"email": "attacker@example.org"},
        {"email": "ATTACKER@example.org", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    ],
    ids=["password", "email", "both"],
)
def test_an_administrator_cannot_take_over_a_point_of_contacts_account(client, sender, change, sent):
    from vse_referrals.models import AuditAction, AuditEntry

    admin = builders.make_superuser("takeover-admin")
    client.force_login(admin)
    url = reverse("wagtailusers_users:edit", args=[sender.pk])
    data = {**user_edit_data(client, url), **change}
    password, email = sender.password, sender.email

    response = None

    def post():
        nonlocal response
        response = client.post(url, data, follow=True)

    assert sent(post) == []
    sender.refresh_from_db()
    assert (sender.password, sender.email) == (password, email)
    assert "only they can change their password or e-mail address" in response.content.decode()
    refused = AuditEntry.objects.get(action=AuditAction.CREDENTIALS_CHANGE_REFUSED)
    assert (refused.user_id, refused.object_id) == (admin.pk, str(sender.pk))


def test_an_administrator_still_edits_the_rest_of_a_point_of_contacts_account(client, sender):
    client.force_login(builders.make_superuser("takeover-admin"))
    url = reverse("wagtailusers_users:edit", args=[sender.pk])
    data = {**user_edit_data(client, url), "first_name": "Renamed"}
    assert client.post(url, data).status_code == 302
    sender.refresh_from_db()
    assert sender.first_name == "Renamed"


def test_a_pending_point_of_contact_is_protected_too_and_other_users_are_not(client, org_b):
    admin = builders.make_superuser("takeover-admin")
    pending = builders.make_pending_contact_point(org_b, username="pending-poc", proposed_by=admin)
    someone = builders.make_user("not-a-contact-point")
    client.force_login(admin)
    for user, refused in ((pending, True), (someone, False)):
        url = reverse("wagtailusers_users:edit", args=[user.pk])
        data = {**user_edit_data(client, url), "email": f"new-{user.pk}@example.org"}
        client.post(url, data)
        user.refresh_from_db()
        assert (user.email == f"new-{user.pk}@example.org") is not refused
