"""The access rule of the referral system, in one place.

A user may act for an organisation (and so see and act on its cases) only while they are an
*active* contact point of it: the organisation's group holds the django-guardian object
permission on the organisation, and the user's designation is in force right now. Superuser and
staff flags and global model permissions grant nothing here. This is the only module that talks
to django-guardian.
"""

from django.contrib.auth.models import Group
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm, get_objects_for_user, get_users_with_perms

from .models import ContactPoint, Organisation, ReferralCase, Status

ACT_FOR_ORGANISATION = "vse_referrals.act_for_organisation"


def organisations_for_user(user):
    """The organisations `user` may act for now, as one lazily evaluated query."""
    if not (user.is_authenticated and user.is_active):
        return Organisation.objects.none()
    granted = get_objects_for_user(
        user,
        ACT_FOR_ORGANISATION,
        klass=Organisation,
        use_groups=True,
        with_superuser=False,
        accept_global_perms=False,
    )
    designated = ContactPoint.objects.active().filter(user=user).values("organisation_id")
    return granted.filter(pk__in=designated)


def organisation_for_user(user):
    """The one organisation `user` acts for now (a user has at most one), or None."""
    return organisations_for_user(user).first()


def cases_for_user(user):
    """Every case `user` may see: sent by or (once sent) addressed to an organisation they act for.

    Every case view resolves its case through this queryset; anyone else gets a 404.
    """
    organisations = organisations_for_user(user).values("pk")
    return ReferralCase.objects.filter(
        Q(sending_organisation__in=organisations)
        | (Q(receiving_organisation__in=organisations) & ~Q(status=Status.DRAFT))
    )


def get_case_for_user(user, case_id):
    """The case with `case_id` if `user` may see it; Http404 otherwise, whatever the reason."""
    case = cases_for_user(user).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


SENDER = "sender"
RECEIVER = "receiver"


def side_of(user, case):
    """ "sender" or "receiver" for a party to `case`, None for anyone else."""
    return side_for(organisation_for_user(user), case)


def side_for(organisation, case):
    """The side of `case` that `organisation` (the one a user acts for, or None) is on."""
    if organisation is None:
        return None
    if case.sending_organisation_id == organisation.pk:
        return SENDER
    if case.receiving_organisation_id == organisation.pk and case.status != Status.DRAFT:
        return RECEIVER
    return None


def active_contact_points(organisation):
    """Users who act for `organisation` now: the recipients of its notifications."""
    granted = get_users_with_perms(
        organisation,
        with_superusers=False,
        with_group_users=True,
        only_with_perms_in=[ACT_FOR_ORGANISATION.split(".")[1]],
    )
    designated = ContactPoint.objects.active().filter(organisation=organisation).values("user_id")
    return granted.filter(is_active=True, pk__in=designated)


def can_act_for(user, organisation):
    return organisations_for_user(user).filter(pk=organisation.pk).exists()


def is_contact_point(user):
    return organisations_for_user(user).exists()


def set_up_organisation_group(organisation, created):
    """Name the organisation's group and grant it the referral permission on the organisation."""
    group = organisation.contact_points_group
    name = gettext("Referral contact points #%(pk)s: %(name)s") % {"pk": organisation.pk, "name": organisation.name}
    name = name[: Group._meta.get_field("name").max_length]
    if group.name != name:
        group.name = name
        group.save(update_fields=["name"])
    if created:
        assign_perm(ACT_FOR_ORGANISATION, group, organisation)


def sync_group_memberships(user):
    """Make `user` a member of exactly the groups of the organisations that designate them.

    Designations that have ended leave the group; the time check in `organisations_for_user`
    already denies access from the moment a designation ends, whether or not this has run.
    """
    wanted = set(
        Organisation.objects.filter(contact_points__in=ContactPoint.objects.not_ended().filter(user=user)).values_list(
            "contact_points_group_id", flat=True
        )
    )
    current = set(user.groups.filter(vse_organisation__isnull=False).values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
