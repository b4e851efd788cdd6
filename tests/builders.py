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
        user.user_permissions.add(Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin"))
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
