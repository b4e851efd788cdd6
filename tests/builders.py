"""Builders for test data: one place that knows how to make organisations, users and designations."""

import itertools
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from vse_referrals.models import ContactPoint, Organisation

_sequence = itertools.count(1)


def make_user(username=None, *, admin_access=True, **fields):
    username = username or f"user{next(_sequence)}"
    user = get_user_model().objects.create_user(
        username=username,
        password="password",
        email=f"{username}@example.org",
        first_name=fields.pop("first_name", username.title()),
        last_name=fields.pop("last_name", "Tester"),
        **fields,
    )
    if admin_access:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return user


def make_superuser(username="vse-admin"):
    return make_user(username, is_superuser=True, is_staff=True)


def make_organisation(name=None, country="FR", **fields):
    return Organisation.objects.create(name=name or f"Member organisation {next(_sequence)}", country=country, **fields)


def designate(user, organisation, role=ContactPoint.Role.PRIMARY, *, starts_in=None, ends_in=None, started_ago=None):
    """Designate `user` for `organisation`; periods are relative to now (timedelta)."""
    now = timezone.now()
    active_from = now - (started_ago or timedelta(days=30))
    if starts_in is not None:
        active_from = now + starts_in
    active_until = now + ends_in if ends_in is not None else None
    if role == ContactPoint.Role.DEPUTY and active_until is None:
        active_until = now + timedelta(days=60)
    designation = ContactPoint(
        user=user, organisation=organisation, role=role, active_from=active_from, active_until=active_until
    )
    designation.full_clean()
    designation.save()
    return designation


def make_contact_point(organisation, role=ContactPoint.Role.PRIMARY, username=None, **period):
    user = make_user(username)
    designate(user, organisation, role, **period)
    return user


def grant_model_permissions(user, model, actions=("add", "change", "delete", "view")):
    """Give `user` global model permissions through a group, the way VSE staff get them."""
    group, _ = Group.objects.get_or_create(name=f"Global {model._meta.model_name} managers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label=model._meta.app_label,
            codename__in=[f"{action}_{model._meta.model_name}" for action in actions],
        )
    )
    user.groups.add(group)
    return group


# Referral cases ------------------------------------------------------------------------------

PERSONAL_VALUES = {
    # Distinctive values that must never appear in plain text in the database, e-mails or logs.
    "name": "Zofia Kowalska-Nightingale",
    "phone": "+48 601 555 0199",
    "email": "zofia.private@example.invalid",
    "referral_reason": "Attacked near the Grand-Place, lost passport QX9912",
    "crime_place": "Rue des Bouchers 7, Brussels",
    "police_reference": "PV-BRU-2026-777123",
    "personal_characteristics": "Hearing impaired, uses sign language",
    "victim_wishes": "Wants to speak to a woman counsellor",
}


def make_case(sender, receiver, created_by=None, **fields):
    """A complete draft from `sender` to `receiver`, ready to be sent."""
    from django.utils import timezone

    from vse_referrals.models import ReferralCase

    values = {
        "priority": "urgent",
        "consent_obtained_on": timezone.localdate(),
        "consent_method": "in-person",
        "consent_to_share": True,
        "consent_to_contact": True,
        "consent_to_report_back": True,
        "support_needed": ["emotional", "information"],
        "contact_channels": ["phone"],
        "crime_country": receiver.country if receiver else "",
        "residence_country": sender.country,
        **PERSONAL_VALUES,
    }
    values.update(fields)
    return ReferralCase.objects.create(
        sending_organisation=sender, receiving_organisation=receiver, created_by=created_by, **values
    )


def sent_case(sender_user, receiver, **fields):
    """A case sent by `sender_user` (an active contact point) to `receiver`."""
    from vse_referrals import workflow

    actor = acting(sender_user)
    case = make_case(actor.organisation, receiver, created_by=sender_user, **fields)
    return workflow.perform(case, "send", actor)


def acting(user):
    """The workflow's actor for `user` (None stays None: the system acts)."""
    from vse_referrals.permissions import actor_for_user

    return None if user is None else actor_for_user(user)
