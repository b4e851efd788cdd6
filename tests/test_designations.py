"""Access grants are visible and need two people (vse_referrals.designations, DESIGN.md section 4).

Nobody designates themselves; a new designation takes effect only once a second person confirms
it (the member's primary point of contact or another network administrator); the member's other
points of contact and every network administrator are told, without case data.
"""

import importlib
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from vse_referrals import designations, permissions
from vse_referrals.models import AuditAction, AuditEntry, ContactPoint, Notification

from . import builders

pytestmark = pytest.mark.django_db

CONTACT_POINTS_URL = reverse("vse_referrals_contactpoint_modeladmin_index")
CREATE_URL = reverse("vse_referrals_contactpoint_modeladmin_create")
MEMBER_PAGE_URL = reverse("vse_referrals:designations")


def admin_confirm_url(designation):
    return reverse("vse_referrals_contactpoint_modeladmin_confirm", args=[designation.pk])


def member_confirm_url(designation):
    return reverse("vse_referrals:confirm_designation", args=[designation.pk])


def edit_url(designation):
    return reverse("vse_referrals_contactpoint_modeladmin_edit", args=[designation.pk])


def admin_datetime(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def form_data(organisation, user, **overrides):
    data = {
        "organisation": organisation.pk,
        "user": user.pk,
        "role": "deputy",
        "active_from": admin_datetime(timezone.now() - timedelta(minutes=5)),
        "active_until": admin_datetime(timezone.now() + timedelta(days=30)),
    }
    data.update(overrides)
    return data


def recipients():
    return sorted(address for email in mail.outbox for address in email.to)


def emails_of(user):
    return [email for email in mail.outbox if email.to == [user.email]]


@pytest.fixture
def people(org_a, org_b, sender, receiver, network_admin):
    """The cast: a proposing superuser, a second administrator, the member's primary point of
    contact (`sender`, of A) and a point of contact of another member (`receiver`, of B), a case
    between them (its personal data must reach no e-mail), and the user to designate."""
    case = builders.sent_case(sender, org_b)
    return {
        "proposer": builders.make_superuser("proposer"),
        "second_admin": network_admin,
        "primary": sender,
        "other_member": receiver,
        "designated": builders.make_user("newcomer", first_name="Nora", last_name="Newcomer"),
        "bystander": builders.make_user("bystander"),
        "case": case,
    }


@pytest.fixture
def pending(people, org_a):
    """A deputy of A proposed by the superuser, awaiting confirmation."""
    return builders.designate(
        people["designated"],
        org_a,
        ContactPoint.Role.DEPUTY,
        started_ago=timedelta(minutes=5),
        ends_in=timedelta(days=30),
        pending=True,
        proposed_by=people["proposer"],
    )


def assert_no_case_data(email, case):
    text = email.subject + email.body
    for value in builders.PERSONAL_VALUES.values():
        assert value not in text
    assert case.reference not in text


# A pending designation grants nothing ---------------------------------------------------------


def test_a_pending_designation_grants_nothing(client, people, pending, org_a):
    user = people["designated"]
    assert not permissions.organisations_for_user(user).exists()
    assert not user.groups.filter(pk=org_a.contact_points_group_id).exists()
    assert user not in permissions.active_contact_points(org_a)
    assert not pending.is_active() and pending.status_label == "Awaiting confirmation"
    # Even in the group (added by hand in Wagtail's group admin), the designation itself must be confirmed.
    user.groups.add(org_a.contact_points_group)
    assert not permissions.organisations_for_user(user).exists()
    assert user not in permissions.active_contact_points(org_a)
    client.force_login(user)
    assert client.get(reverse("vse_referrals:case", args=[people["case"].pk])).status_code == 404
    assert client.get(reverse("vse_referrals:inbox")).status_code == 404
    assert client.get(MEMBER_PAGE_URL).status_code == 404


def test_once_confirmed_it_grants_access_and_the_group(client, people, pending, org_a):
    designations.confirm(pending, by=people["primary"])
    user = people["designated"]
    assert list(permissions.organisations_for_user(user)) == [org_a]
    assert user.groups.filter(pk=org_a.contact_points_group_id).exists()
    client.force_login(user)
    assert client.get(reverse("vse_referrals:case", args=[people["case"].pk])).status_code == 200


def test_designating_in_the_admin_is_pending_until_confirmed(client, people, org_a, django_capture_on_commit_callbacks):
    client.force_login(people["proposer"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(CREATE_URL, form_data(org_a, people["designated"]), follow=True)
    assert "Nora Newcomer cannot act for Organisation A until a second person confirms" in response.content.decode()
    designation = ContactPoint.objects.get(user=people["designated"])
    assert (designation.proposed_by, designation.confirmed_at) == (people["proposer"], None)
    assert not permissions.organisations_for_user(people["designated"]).exists()


# Who is told, and what ------------------------------------------------------------------------


def test_a_proposal_is_told_to_the_members_points_of_contact_and_every_administrator(
    client, people, org_a, django_capture_on_commit_callbacks
):
    client.force_login(people["proposer"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CREATE_URL, form_data(org_a, people["designated"]))
    # The member's primary point of contact, the other administrator and the proposer (a
    # superuser is an administrator too); not the designated user, not another member, nobody else.
    assert recipients() == sorted(people[name].email for name in ("primary", "second_admin", "proposer"))
    for email in mail.outbox:
        assert email.subject == "A point of contact of Organisation A awaits confirmation"
        assert "Proposer Tester designated Nora Newcomer (newcomer) as Deputy of Organisation A." in email.body
        assert "does not take effect until a second person confirms it" in email.body
        assert "Until: " in email.body and "From: " in email.body
        assert_no_case_data(email, people["case"])
    assert MEMBER_PAGE_URL in emails_of(people["primary"])[0].body
    assert CONTACT_POINTS_URL in emails_of(people["second_admin"])[0].body


def test_confirming_is_told_to_the_same_people(client, people, pending, django_capture_on_commit_callbacks):
    client.force_login(people["second_admin"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(admin_confirm_url(pending), {"seen": designations.fingerprint(pending)})
    assert recipients() == sorted(people[name].email for name in ("primary", "second_admin", "proposer"))
    for email in mail.outbox:
        assert email.subject == "Point of contact of Organisation A confirmed"
        assert (
            "Network-Admin Tester confirmed the designation of Nora Newcomer (newcomer) as Deputy of "
            "Organisation A, proposed by Proposer Tester." in email.body
        )
        assert_no_case_data(email, people["case"])


def test_a_designated_administrator_is_told_as_an_administrator(people, org_a, django_capture_on_commit_callbacks):
    admin = people["second_admin"]
    designation = ContactPoint(
        user=admin, organisation=org_a, role="deputy", active_until=timezone.now() + timedelta(days=3)
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        designations.designate(designation, by=people["proposer"])
    assert recipients() == sorted(people[name].email for name in ("primary", "second_admin", "proposer"))


def test_changing_ending_and_removing_are_told(client, people, org_a, django_capture_on_commit_callbacks):
    designation = builders.designate(
        people["designated"], org_a, ContactPoint.Role.DEPUTY, started_ago=timedelta(days=2), ends_in=timedelta(days=9)
    )
    client.force_login(people["proposer"])
    expected = sorted(people[name].email for name in ("primary", "second_admin", "proposer"))
    shorter = form_data(
        org_a,
        people["designated"],
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(timezone.now() + timedelta(days=3)),
    )
    ended = {**shorter, "active_until": admin_datetime(timezone.now() - timedelta(minutes=1))}
    for data, subject in [
        (shorter, "Designation changed at Organisation A"),
        (ended, "Designation ended at Organisation A"),
    ]:
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            assert client.post(edit_url(designation), data).status_code == 302
        assert recipients() == expected
        assert {email.subject for email in mail.outbox} == {subject}
    mail.outbox.clear()
    delete_url = reverse("vse_referrals_contactpoint_modeladmin_delete", args=[designation.pk])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(delete_url)
    assert not ContactPoint.objects.filter(pk=designation.pk).exists()
    assert recipients() == expected
    assert {email.subject for email in mail.outbox} == {"Designation removed at Organisation A"}
    assert "removed the designation of Nora Newcomer" in mail.outbox[0].body


def test_saving_without_a_change_tells_nobody(client, people, org_a, django_capture_on_commit_callbacks):
    designation = builders.designate(people["designated"], org_a, ContactPoint.Role.DEPUTY, ends_in=timedelta(days=9))
    client.force_login(people["proposer"])
    data = form_data(
        org_a,
        people["designated"],
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(designation.active_until),
    )
    designation.active_from = designation.active_from.replace(second=0, microsecond=0)
    designation.active_until = designation.active_until.replace(second=0, microsecond=0)
    designation.save()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(edit_url(designation), data).status_code == 302
    assert mail.outbox == []


def test_network_administrators_are_those_who_may_designate(people):
    adder, changer, viewer, inactive = (builders.make_user(name) for name in ("adder", "changer", "viewer", "gone"))
    adder.user_permissions.add(Permission.objects.get(codename="add_contactpoint"))
    changer.user_permissions.add(Permission.objects.get(codename="change_contactpoint"))
    viewer.user_permissions.add(*Permission.objects.filter(codename__in=["view_contactpoint", "delete_contactpoint"]))
    builders.grant_model_permissions(inactive, ContactPoint)
    inactive.is_active = False
    inactive.save()
    expected = {"proposer", "network-admin", "adder", "changer"}
    assert set(designations.network_administrators().values_list("username", flat=True)) == expected
    for user in (adder, changer, people["proposer"], people["second_admin"]):
        assert designations.is_network_administrator(type(user).objects.get(pk=user.pk))
    for user in (viewer, inactive, people["primary"], builders.make_user("staff-only", is_staff=True)):
        assert not designations.is_network_administrator(type(user).objects.get(pk=user.pk))


# Nobody designates themselves -----------------------------------------------------------------


def test_the_form_refuses_a_self_designation(client, people, org_a):
    proposer = people["proposer"]
    client.force_login(proposer)
    mail.outbox.clear()
    response = client.post(CREATE_URL, form_data(org_a, proposer))
    assert response.status_code == 200
    assert "You cannot designate yourself: another network administrator must do it." in response.content.decode()
    assert not ContactPoint.objects.filter(user=proposer).exists()
    assert not Notification.objects.filter(kind__startswith="designation-").exists()


def test_the_form_refuses_a_change_of_ones_own_designation(client, people, org_a):
    admin = people["second_admin"]
    designation = builders.designate(admin, org_a, ContactPoint.Role.DEPUTY, ends_in=timedelta(days=2))
    client.force_login(admin)
    data = form_data(
        org_a,
        admin,
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(timezone.now() + timedelta(days=300)),
    )
    response = client.post(edit_url(designation), data)
    assert response.status_code == 200
    assert "You cannot change your own designation" in response.content.decode()
    assert ContactPoint.objects.get(pk=designation.pk).active_until == designation.active_until


def test_the_model_refuses_a_self_designation_whatever_the_path(people, org_a):
    user = people["proposer"]
    designation = ContactPoint(user=user, organisation=org_a, proposed_by=user)
    with pytest.raises(ValidationError) as refused:
        designation.full_clean()
    assert refused.value.message_dict["user"] == [
        "You cannot designate yourself: another network administrator must do it."
    ]
    with pytest.raises(IntegrityError), transaction.atomic():
        designation.save()  # the database's check constraint
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPoint.objects.create(user=user, organisation=org_a, confirmed_by=user, confirmed_at=timezone.now())
    with pytest.raises(ValidationError):
        designations.designate(ContactPoint(user=user, organisation=org_a), by=user)
    assert not ContactPoint.objects.filter(user=user).exists()


def test_the_service_refuses_changing_or_removing_ones_own_designation(people, org_a):
    admin = people["second_admin"]
    designation = builders.designate(admin, org_a, ContactPoint.Role.DEPUTY, ends_in=timedelta(days=2))
    designation.active_until = timezone.now() + timedelta(days=400)
    with pytest.raises(ValidationError):
        designations.change(designation, by=admin)
    with pytest.raises(ValidationError):
        designations.remove(designation, by=admin)
    assert ContactPoint.objects.get(pk=designation.pk).active_until < timezone.now() + timedelta(days=3)


# Four eyes: who may confirm -------------------------------------------------------------------


def test_the_primary_point_of_contact_confirms_from_their_page(
    client, people, pending, org_a, django_capture_on_commit_callbacks
):
    client.force_login(people["primary"])
    dashboard = client.get(reverse("wagtailadmin_home")).content.decode()
    assert member_confirm_url(pending) in dashboard and "Points of contact to confirm" in dashboard
    listing = BeautifulSoup(client.get(MEMBER_PAGE_URL).content, "html.parser")
    assert listing.find("a", href=member_confirm_url(pending))
    assert "Awaiting confirmation" in listing.get_text()
    page = BeautifulSoup(client.get(member_confirm_url(pending)).content, "html.parser")
    seen = page.find("input", attrs={"name": "seen"})["value"]
    assert "Nora Newcomer" in page.get_text() and not permissions.organisations_for_user(people["designated"]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(member_confirm_url(pending), {"seen": seen}, follow=True)
    assert "Designation of Nora Newcomer confirmed" in response.content.decode()
    pending.refresh_from_db()
    assert (pending.confirmed_by, pending.is_active()) == (people["primary"], True)
    assert list(permissions.organisations_for_user(people["designated"])) == [org_a]
    assert "Points of contact to confirm" not in client.get(reverse("wagtailadmin_home")).content.decode()


def test_another_network_administrator_confirms_in_the_admin(client, people, pending):
    client.force_login(people["second_admin"])
    listing = BeautifulSoup(client.get(CONTACT_POINTS_URL).content, "html.parser")
    assert listing.find("a", href=admin_confirm_url(pending))
    assert BeautifulSoup(client.get(edit_url(pending)).content, "html.parser").find(
        "a", href=admin_confirm_url(pending)
    )
    page = BeautifulSoup(client.get(admin_confirm_url(pending)).content, "html.parser")
    seen = page.find("input", attrs={"name": "seen"})["value"]
    response = client.post(admin_confirm_url(pending), {"seen": seen})
    assert (response.status_code, response["Location"]) == (302, CONTACT_POINTS_URL)
    pending.refresh_from_db()
    assert pending.confirmed_by == people["second_admin"] and pending.is_active()
    entry = AuditEntry.objects.get(action=AuditAction.DESIGNATION_CONFIRMED)
    assert (entry.object_id, entry.user_id) == (str(pending.pk), people["second_admin"].pk)


def test_the_proposer_cannot_confirm(client, people, pending):
    proposer = people["proposer"]
    client.force_login(proposer)
    listing = BeautifulSoup(client.get(CONTACT_POINTS_URL).content, "html.parser")
    assert not listing.find("a", href=admin_confirm_url(pending))
    assert "Awaiting confirmation" in listing.get_text()
    response = client.post(admin_confirm_url(pending), {"seen": designations.fingerprint(pending)}, follow=True)
    assert "You proposed this designation: a second person must confirm it." in response.content.decode()
    assert not ContactPoint.objects.get(pk=pending.pk).is_confirmed
    with pytest.raises(ValidationError):
        designations.confirm(pending, by=proposer)
    assert not Notification.objects.filter(kind__startswith="designation-").exists()


def test_the_designated_user_cannot_confirm(client, people, org_a):
    # An administrator designated by another cannot confirm their own designation.
    admin = people["second_admin"]
    designation = builders.designate(
        admin, org_a, ContactPoint.Role.DEPUTY, ends_in=timedelta(days=3), pending=True, proposed_by=people["proposer"]
    )
    client.force_login(admin)
    response = client.post(admin_confirm_url(designation), {"seen": designations.fingerprint(designation)}, follow=True)
    assert "Nobody can confirm their own designation." in response.content.decode()
    assert client.get(member_confirm_url(designation)).status_code == 404  # not a point of contact
    assert not ContactPoint.objects.get(pk=designation.pk).is_confirmed
    assert not permissions.organisations_for_user(admin).exists()


def test_a_point_of_contact_of_another_member_cannot_confirm(client, people, pending):
    client.force_login(people["other_member"])
    assert client.get(member_confirm_url(pending)).status_code == 404
    assert client.post(member_confirm_url(pending), {"seen": designations.fingerprint(pending)}).status_code == 404
    response = client.post(admin_confirm_url(pending), {"seen": designations.fingerprint(pending)})
    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))  # "no permission"
    assert "Points of contact to confirm" not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert not ContactPoint.objects.get(pk=pending.pk).is_confirmed
    with pytest.raises(ValidationError):
        designations.confirm(pending, by=people["other_member"])


def test_a_deputy_of_the_member_sees_but_cannot_confirm(client, people, pending, org_a):
    ContactPoint.objects.filter(pk=pending.pk).update(role=ContactPoint.Role.PRIMARY, active_until=None)
    deputy = builders.make_contact_point(org_a, ContactPoint.Role.DEPUTY, username="deputy", ends_in=timedelta(days=9))
    client.force_login(deputy)
    listing = client.get(MEMBER_PAGE_URL).content.decode()
    assert "Nora Newcomer" in listing and member_confirm_url(pending) not in listing
    for answer in (
        client.get(member_confirm_url(pending), follow=True),
        client.post(member_confirm_url(pending), {"seen": designations.fingerprint(pending)}, follow=True),
    ):
        assert answer.redirect_chain[-1][0] == MEMBER_PAGE_URL
        assert "Only the member&#x27;s primary point of contact or another network administrator" in (
            answer.content.decode()
        )
    assert "Points of contact to confirm" not in client.get(reverse("wagtailadmin_home")).content.decode()
    assert not ContactPoint.objects.get(pk=pending.pk).is_confirmed


def test_a_confirmed_designation_is_not_confirmed_twice(people, pending):
    designations.confirm(pending, by=people["primary"])
    with pytest.raises(ValidationError, match="already confirmed"):
        designations.confirm(pending, by=people["second_admin"])
    assert ContactPoint.objects.get(pk=pending.pk).confirmed_by == people["primary"]


def test_the_confirmation_needs_a_csrf_token(people, pending):
    for user, url in [
        (people["second_admin"], admin_confirm_url(pending)),
        (people["primary"], member_confirm_url(pending)),
    ]:
        client = Client(enforce_csrf_checks=True)
        client.force_login(user)
        assert client.post(url, {"seen": designations.fingerprint(pending)}).status_code == 403
    assert not ContactPoint.objects.get(pk=pending.pk).is_confirmed


@pytest.mark.parametrize("seen", [None, "", "not-what-the-page-showed", "x" * 500])
def test_a_bad_or_stale_confirmation_changes_nothing(client, people, pending, seen):
    client.force_login(people["primary"])
    data = {} if seen is None else {"seen": seen}
    response = client.post(member_confirm_url(pending), data, follow=True)
    assert response.status_code == 200
    text = response.content.decode()
    assert "nothing was changed" in text or "changed while you were reading it" in text
    assert not ContactPoint.objects.get(pk=pending.pk).is_confirmed


def test_a_designation_changed_after_the_page_was_shown_is_not_confirmed_unseen(client, people, pending):
    client.force_login(people["second_admin"])
    page = BeautifulSoup(client.get(admin_confirm_url(pending)).content, "html.parser")
    seen = page.find("input", attrs={"name": "seen"})["value"]
    ContactPoint.objects.filter(pk=pending.pk).update(active_until=timezone.now() + timedelta(days=3000))
    response = client.post(admin_confirm_url(pending), {"seen": seen}, follow=True)
    assert "changed while you were reading it" in response.content.decode()
    assert not ContactPoint.objects.get(pk=pending.pk).is_confirmed


def test_unknown_designation_ids_are_not_found(client, people):
    client.force_login(people["primary"])
    assert client.get(reverse("vse_referrals:confirm_designation", args=[987654])).status_code == 404
    client.force_login(people["second_admin"])
    assert client.get(reverse("vse_referrals_contactpoint_modeladmin_confirm", args=[987654])).status_code == 404


# Changes that grant more need confirmation again ----------------------------------------------


def test_a_change_that_grants_more_waits_for_confirmation_again(client, people, org_a):
    """A designation not yet in force, given a later end: all of it waits for a second person."""
    designation = builders.designate(
        people["designated"], org_a, ContactPoint.Role.DEPUTY, starts_in=timedelta(days=2), ends_in=timedelta(days=9)
    )
    client.force_login(people["proposer"])
    longer = form_data(
        org_a,
        people["designated"],
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(timezone.now() + timedelta(days=90)),
    )
    assert client.post(edit_url(designation), longer).status_code == 302
    designation.refresh_from_db()
    assert (designation.is_confirmed, designation.proposed_by) == (False, people["proposer"])
    assert ContactPoint.objects.filter(user=people["designated"]).count() == 1


def test_extending_a_designation_in_force_keeps_it_and_proposes_the_extension(client, people, org_a):
    designation = builders.designate(
        people["designated"], org_a, ContactPoint.Role.DEPUTY, started_ago=timedelta(days=2), ends_in=timedelta(days=9)
    )
    confirmed_end = designation.active_until
    client.force_login(people["proposer"])
    longer = form_data(
        org_a,
        people["designated"],
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(timezone.now() + timedelta(days=90)),
    )
    response = client.post(edit_url(designation), longer, follow=True)
    assert "stays in force until" in response.content.decode()
    designation.refresh_from_db()
    # The confirmed designation stays as it was, in force: the deputy keeps acting meanwhile.
    assert (designation.is_confirmed, designation.active_until) == (True, confirmed_end)
    assert list(permissions.organisations_for_user(people["designated"])) == [org_a]
    extension = ContactPoint.objects.exclude(pk=designation.pk).get(user=people["designated"])
    assert (extension.is_confirmed, extension.proposed_by, extension.active_from) == (
        False,
        people["proposer"],
        confirmed_end,
    )
    assert extension.active_until > confirmed_end
    assert Notification.objects.filter(kind=designations.PROPOSED).exists()  # told like any proposal
    designations.confirm(extension, by=people["primary"])
    extension.refresh_from_db()
    assert extension.is_confirmed


def test_a_change_that_grants_less_takes_effect_at_once(client, people, org_a):
    designation = builders.designate(
        people["designated"], org_a, ContactPoint.Role.DEPUTY, started_ago=timedelta(days=2), ends_in=timedelta(days=9)
    )
    client.force_login(people["proposer"])
    shorter = form_data(
        org_a,
        people["designated"],
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(timezone.now() + timedelta(days=2)),
    )
    assert client.post(edit_url(designation), shorter).status_code == 302
    designation.refresh_from_db()
    assert designation.is_confirmed and list(permissions.organisations_for_user(people["designated"])) == [org_a]


def test_grants_more_compares_organisation_role_and_period(org_a, org_b):
    now = timezone.now()
    start = now + timedelta(days=1)  # not started yet
    before = ContactPoint(organisation=org_a, role="deputy", active_from=start, active_until=now + timedelta(days=5))

    def after(**changes):
        fields = {
            "organisation": org_a,
            "role": "deputy",
            "active_from": start,
            "active_until": now + timedelta(days=5),
        }
        return ContactPoint(**{**fields, **changes})

    assert not designations.grants_more(before, after())
    assert not designations.grants_more(before, after(active_until=now + timedelta(days=1)))
    assert not designations.grants_more(before, after(active_from=start + timedelta(days=1)))
    assert not designations.grants_more(before, after(active_from=start.replace(second=0, microsecond=0)))
    assert designations.grants_more(before, after(active_until=now + timedelta(days=6)))
    assert designations.grants_more(before, after(active_until=None))
    assert designations.grants_more(before, after(active_from=start - timedelta(hours=1)))
    started = ContactPoint(organisation=org_a, role="deputy", active_from=now - timedelta(days=1), active_until=None)
    assert not designations.grants_more(started, after(active_from=now - timedelta(days=9), active_until=None))
    assert designations.grants_more(before, after(role="primary"))
    assert designations.grants_more(before, after(organisation=org_b))


# A single-administrator install ---------------------------------------------------------------


def test_without_confirmation_a_designation_takes_effect_at_once_and_is_still_told(
    client, settings, people, org_a, django_capture_on_commit_callbacks
):
    settings.VSE_REFERRALS_DESIGNATIONS_NEED_CONFIRMATION = False
    client.force_login(people["proposer"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(CREATE_URL, form_data(org_a, people["designated"])).status_code == 302
    designation = ContactPoint.objects.get(user=people["designated"])
    assert designation.confirmed_by == people["proposer"] and designation.is_active()
    assert list(permissions.organisations_for_user(people["designated"])) == [org_a]
    assert recipients() == sorted(people[name].email for name in ("primary", "second_admin", "proposer"))
    assert {email.subject for email in mail.outbox} == {"New point of contact of Organisation A"}
    assert "can see and act on every referral of Organisation A" in mail.outbox[0].body


# Upgrade and two-step resets ------------------------------------------------------------------


def test_the_upgrade_confirms_existing_designations(org_a):
    from django.apps import apps

    designation = builders.designate(builders.make_user(), org_a, pending=True)
    migration = importlib.import_module("vse_referrals.migrations.0010_designation_four_eyes")
    migration.confirm_existing_designations(apps, None)
    designation.refresh_from_db()
    assert designation.confirmed_at == designation.created_at and designation.is_active()


def test_a_two_step_reset_is_in_wagtails_log_without_secrets(client, people):
    """The audit log is a Wagtail log model: its entries are Wagtail's Site history."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user = people["primary"]
    device = TOTPDevice.objects.create(user=user, name="app", confirmed=True)
    designation = ContactPoint.objects.get(user=user)
    client.force_login(people["second_admin"])
    url = reverse("vse_referrals_contactpoint_modeladmin_reset_two_factor", args=[designation.pk])
    assert client.post(url).status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (entry.object_id, entry.user_id, entry.label) == (str(user.pk), people["second_admin"].pk, user.username)
    assert device.key not in str(entry.data) and not entry.data
    client.force_login(people["proposer"])
    history = client.get(reverse("wagtailadmin_reports:site_history")).content.decode()
    assert "Two-step verification reset" in history


def test_a_reset_from_the_command_line_is_logged_too(people):
    from django.core.management import call_command

    call_command("reset_two_factor", people["primary"].username, stdout=open("/dev/null", "w"))
    entry = AuditEntry.objects.get(action=AuditAction.TWO_FACTOR_RESET)
    assert (entry.object_id, entry.user_id) == (str(people["primary"].pk), None)


def test_the_dashboard_panel_asks_the_access_rule_once(client, people, pending):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(people["primary"])
    with CaptureQueriesContext(connection) as queries:
        assert member_confirm_url(pending) in client.get(reverse("wagtailadmin_home")).content.decode()
    access_rule = [
        query["sql"]
        for query in queries
        if "vse_referrals_organisationgroupobjectpermission" in query["sql"]
        and 'FROM "vse_referrals_organisation"' in query["sql"]
    ]
    assert len(access_rule) == 1


def test_a_designation_saved_unchanged_tells_nobody_and_records_nothing(client, people, org_a):
    """The admin's form keeps minutes: the seconds of the stored times are not a change."""
    designation = builders.designate(
        people["designated"], org_a, ContactPoint.Role.DEPUTY, started_ago=timedelta(days=2), ends_in=timedelta(days=9)
    )
    assert designation.active_from.second or designation.active_from.microsecond  # what the form drops
    client.force_login(people["proposer"])
    unchanged = form_data(
        org_a,
        people["designated"],
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(designation.active_until),
    )
    audited = AuditEntry.objects.count()
    assert client.post(edit_url(designation), unchanged).status_code == 302
    assert not Notification.objects.filter(kind__startswith="designation-").exists()
    assert AuditEntry.objects.count() == audited


def test_a_network_administrator_sees_the_designations_awaiting_them_on_the_dashboard(client, people, pending):
    home = reverse("wagtailadmin_home")
    confirm = reverse("vse_referrals_contactpoint_modeladmin_confirm", args=[pending.pk])
    client.force_login(people["second_admin"])
    page = BeautifulSoup(client.get(home).content, "html.parser")
    panel = page.select_one("#vse-referrals-pending-designations-section")
    assert panel is not None and panel.find("a", href=confirm)
    assert "Organisation A" in panel.get_text()
    # Not to the administrator who proposed it, nor to someone who may not confirm.
    for user in (people["proposer"], people["bystander"]):
        client.force_login(user)
        assert 'id="vse-referrals-pending-designations-section"' not in client.get(home).content.decode()
