"""The access rule of the referral system, in one place.

A user may act for an organisation (and so see and act on its cases) only while they are an
*active* contact point of it: the organisation's group holds the django-guardian object
permission on the organisation, and the user's designation is in force right now. Superuser and
staff flags and global model permissions grant nothing here. This is the only module that talks
to django-guardian.

Who acts is resolved once per request (`actor_for`): the organisations first, in one small query,
then every case query filters by their ids (`cases_for_organisations`), so that its cost follows
the actor's own caseload, not the size of the network.
"""

from django.contrib.auth.models import Group
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext
from guardian.shortcuts import assign_perm, get_objects_for_user, get_users_with_perms

from .addresses import client_address
from .models import ContactPoint, Organisation, ReferralCase, Side

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


def cases_for_organisations(organisation_ids, side=None):
    """Every case the organisations may see: the ones they sent, and the ones sent to them.

    The receiver sees a case only once it has been sent (`ReferralCase.reaches_receiver` is the
    instance form): a draft, even one closed because the victim withdrew consent, stays the
    sender's. `side` narrows to one of the two (the inbox's tabs), so that each side's composite
    index serves the query alone; ids rather than a sub-query let PostgreSQL use those indexes.
    """
    if not organisation_ids:
        return ReferralCase.objects.none()
    sent_by_them = Q(sending_organisation_id__in=organisation_ids)
    sent_to_them = Q(receiving_organisation_id__in=organisation_ids, sent_at__isnull=False)
    condition = {Side.SENDER: sent_by_them, Side.RECEIVER: sent_to_them, None: sent_by_them | sent_to_them}[side]
    return ReferralCase.objects.filter(condition)


class Actor:
    """Who is acting: a user and the organisations they may act for, resolved once.

    Requests get theirs from `actor_for(request)`, which keeps it on the request the way
    Wagtail's permission policies keep a user's permissions on the user object: the views,
    the workflow, the menu item and the panels share one answer, and nothing outlives the
    request, so ending a designation takes effect on the very next one.
    """

    def __init__(self, user, organisations, client_address=""):
        self.user = user
        self.client_address = client_address  # where a request came from, for the audit log
        self.organisations = tuple(organisations)
        self.organisation_ids = tuple(organisation.pk for organisation in self.organisations)

    def __repr__(self):
        return f"<Actor user={getattr(self.user, 'pk', None)} organisations={self.organisation_ids}>"

    @property
    def organisation(self):
        """The one organisation the user acts for (a user has at most one at a time), or None."""
        return self.organisations[0] if self.organisations else None

    @property
    def is_contact_point(self):
        return bool(self.organisation_ids)

    def can_act_for(self, organisation):
        return organisation is not None and organisation.pk in self.organisation_ids

    def cases(self, side=None):
        """Every case the user may see (on `side` only, if given); every case view resolves its
        case through this."""
        return cases_for_organisations(self.organisation_ids, side)

    def get_case(self, case_id):
        """The case with `case_id` if the user may see it; Http404 otherwise, whatever the reason."""
        case = self.cases().select_related("sending_organisation", "receiving_organisation").filter(pk=case_id).first()
        if case is None:
            raise Http404
        return case

    def side(self, case):
        """The side of `case` the user is on, or None when they are not a party to it."""
        if case.sending_organisation_id in self.organisation_ids:
            return Side.SENDER
        if case.receiving_organisation_id in self.organisation_ids and case.reaches_receiver:
            return Side.RECEIVER
        return None


def actor_for_user(user, client_address=""):
    """The actor `user` is now (one query); outside a request, e.g. in commands and tests."""
    return Actor(user, organisations_for_user(user), client_address)


def actor_for(request):
    """The actor of this request, resolved on first use and kept for the rest of the request."""

    actor = getattr(request, "_vse_referrals_actor", None)
    if actor is None or actor.user is not request.user:
        actor = request._vse_referrals_actor = actor_for_user(request.user, client_address(request) or "")
    return actor


def cases_for_user(user):
    """Every case `user` may see (see `cases_for_organisations`)."""
    return actor_for_user(user).cases()


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

    Designations that have ended, or still await their confirmation, leave the user out of the
    group; the check in `organisations_for_user` already denies access to them whether or not
    this has run.
    """
    designations = ContactPoint.objects.confirmed().not_ended().filter(user=user)
    wanted = set(
        Organisation.objects.filter(contact_points__in=designations).values_list("contact_points_group_id", flat=True)
    )
    current = set(user.groups.filter(vse_organisation__isnull=False).values_list("pk", flat=True))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
