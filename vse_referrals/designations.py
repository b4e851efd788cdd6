"""Designations of points of contact: four eyes, and everyone concerned is told (DESIGN.md section 4).

Designating a point of contact grants access to a member's cases: it is the weak point of any
"the hub cannot read" promise. So:

- nobody designates themselves, nor changes, removes or confirms their own designation;
- a new designation, or a change that grants more than was confirmed (another organisation or
  role, an earlier start, a later or no end), takes effect only once a second person confirms it:
  the member's active primary point of contact or another network administrator, never the one
  who proposed it and never the designated user. `VSE_REFERRALS_DESIGNATIONS_NEED_CONFIRMATION =
  False` turns this off for an install with a single administrator: a designation then takes
  effect at once, confirmed by whoever made it;
- each designation, change, confirmation, end and removal is e-mailed to the member's other
  active points of contact and to every network administrator, without any case data.

A *network administrator* is whoever may add or change contact points (superusers included):
the people who can grant access. The access rule stays in `permissions.py`: a designation that
awaits confirmation is not `active()`, so it grants nothing there, and it does not put its user
in the organisation's group (`permissions.sync_group_memberships`).

The admin's form and delete view go through these functions; the database refuses a row whose
user proposed or confirmed it, whatever the path.
"""

import hashlib

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import audit, conf, notifications, permissions
from .models import AuditAction, ContactPoint
from .models.organisations import DESIGNATING_PERMISSIONS, user_display_name

# Notices (the e-mails' headlines are in notifications.py)
PROPOSED = "designation-proposed"
DESIGNATED = "designation-made"
CONFIRMED = "designation-confirmed"
CHANGED = "designation-changed"
ENDED = "designation-ended"
REMOVED = "designation-removed"


def is_network_administrator(user):
    """Whether `user` may designate points of contact (the one definition of a network administrator)."""
    return bool(
        user.is_authenticated and user.is_active and any(user.has_perm(name) for name in DESIGNATING_PERMISSIONS)
    )


def network_administrators():
    """Every active network administrator, as one query."""
    # Django's model permissions decide, as `is_network_administrator` does; guardian's object
    # permissions never make anyone an administrator.
    backend = ModelBackend()
    holders = Q()
    for name in DESIGNATING_PERMISSIONS:
        holders |= Q(pk__in=backend.with_perm(name, is_active=True, include_superusers=True).values("pk"))
    return get_user_model().objects.filter(holders)


def needs_confirmation():
    return conf.get("DESIGNATIONS_NEED_CONFIRMATION")


def is_primary_contact_point(actor, organisation):
    """Whether the actor (`permissions.Actor`) is the active primary point of contact of `organisation`."""
    return (
        actor.can_act_for(organisation)
        and ContactPoint.objects.active()
        .filter(user=actor.user, organisation=organisation, role=ContactPoint.Role.PRIMARY)
        .exists()
    )


def refusal_to_confirm(actor, designation):
    """Why the actor (`permissions.Actor`) may not confirm `designation`, as a sentence to show;
    None when they may."""
    user = actor.user
    if designation.is_confirmed:
        return _("This designation is already confirmed.")
    if designation.has_ended():
        return _("This designation has ended: there is nothing to confirm.")
    if user.pk == designation.user_id:
        return _("Nobody can confirm their own designation.")
    if user.pk == designation.proposed_by_id:
        return _("You proposed this designation: a second person must confirm it.")
    if not (is_network_administrator(user) or is_primary_contact_point(actor, designation.organisation)):
        return _(
            "Only the member's primary point of contact or another network administrator can confirm a designation."
        )
    return None


def may_confirm(actor, designation):
    return refusal_to_confirm(actor, designation) is None


def fingerprint(designation):
    """What a confirmation page showed: confirming a designation changed since then is refused."""
    facts = (
        designation.pk,
        designation.organisation_id,
        designation.user_id,
        str(designation.role),
        designation.active_from.isoformat(),
        designation.active_until.isoformat() if designation.active_until else "",
        designation.proposed_by_id,
    )
    return hashlib.sha256(repr(facts).encode()).hexdigest()[:32]


def designate(designation, by, request=None):
    """Save the new `designation`, proposed by `by`, record it and tell everyone concerned.

    It waits for a second person's confirmation unless the setting turns that off. `request`
    (when there is one) gives the audit log the client address.
    """
    if by.pk == designation.user_id:
        raise ValidationError({"user": _("You cannot designate yourself: another network administrator must do it.")})
    designation.proposed_by = by
    if not needs_confirmation():
        designation.confirmed_by, designation.confirmed_at = by, timezone.now()
    with transaction.atomic():
        designation.save()
        record(AuditAction.DESIGNATION_CREATED, designation, by, request)
        tell(designation, DESIGNATED if designation.is_confirmed else PROPOSED, by)
    return designation


def grants_more(before, after):
    """Whether `after` lets its user act for more than the confirmed `before` did.

    A start moved earlier grants more only while `before` has not started (access is decided at
    each request, and cases are the organisation's, not the period's); the admin's form keeps
    minutes, so a start a few seconds earlier is the same start.
    """
    starts_earlier = before.active_from > timezone.now() and after.active_from < before.active_from.replace(
        second=0, microsecond=0
    )
    ends_later = before.active_until is not None and (
        after.active_until is None or after.active_until > before.active_until
    )
    return after.organisation_id != before.organisation_id or after.role != before.role or starts_earlier or ends_later


def change(designation, by, request=None):
    """Save the changes `by` made to `designation` and tell everyone concerned; returns what was saved.

    A change that grants more, or any change to a designation still awaiting confirmation, is a
    new proposal by `by`: it waits for a second person's confirmation again. Only a later end of a
    designation in force keeps it in force meanwhile: the extension is saved as a designation of
    its own, from the confirmed end, awaiting confirmation (a deputy handling an emergency keeps
    their access while the extension is confirmed).
    """
    _refuse_own(designation, by, _("You cannot change your own designation: another network administrator must do it."))
    with transaction.atomic():
        before = ContactPoint.objects.select_for_update().select_related("organisation").get(pk=designation.pk)
        if not _differs(before, designation):
            return designation
        if needs_confirmation() and before.is_active() and _only_extends(before, designation):
            extension = ContactPoint(
                user=before.user,
                organisation=before.organisation,
                role=before.role,
                active_from=before.active_until,
                active_until=designation.active_until,
            )
            return designate(extension, by, request)
        if needs_confirmation() and (not before.is_confirmed or grants_more(before, designation)):
            designation.proposed_by, designation.confirmed_by, designation.confirmed_at = by, None, None
        designation.save()
        ended_now = designation.has_ended() and not before.has_ended()
        record(
            AuditAction.DESIGNATION_ENDED if ended_now else AuditAction.DESIGNATION_CHANGED, designation, by, request
        )
        moved_from = [before.organisation] if before.organisation_id != designation.organisation_id else []
        tell(designation, ENDED if ended_now else CHANGED, by, also=moved_from)
    return designation


def remove(designation, by, request=None):
    """Delete `designation` (its user loses access at once) and tell everyone concerned."""
    _refuse_own(designation, by, _("You cannot remove your own designation: another network administrator must do it."))
    with transaction.atomic():
        record(AuditAction.DESIGNATION_DELETED, designation, by, request)
        tell(designation, REMOVED, by)
        designation.delete()


def confirm(designation, by, seen=None, request=None):
    """Confirm `designation` as `by`, the second person: from now on it grants access in its period.

    Raises ValidationError with the reason when `by` may not (see `refusal_to_confirm`), or when the
    designation is no longer what they were shown (`seen`: its `fingerprint` on the page).
    """
    with transaction.atomic():
        # The row lock makes two people confirming at once one confirmation and one clear refusal.
        current = ContactPoint.objects.select_for_update().get(pk=designation.pk)
        refusal = refusal_to_confirm(permissions.actor_for_user(by), current)
        if refusal is None and seen is not None and seen != fingerprint(current):
            refusal = _("This designation changed while you were reading it: check it again before confirming.")
        if refusal:
            raise ValidationError(refusal)
        current.confirmed_by, current.confirmed_at = by, timezone.now()
        current.save(update_fields=["confirmed_by", "confirmed_at"])
        record(AuditAction.DESIGNATION_CONFIRMED, current, by, request)
        tell(current, CONFIRMED, by)
    return current


def record(action, designation, by, request=None):
    """The audit log's entry for a designation saved, ended, removed or confirmed by `by`: ids and
    the role only. Through a request, its actor (with the client address); otherwise `by` alone."""
    actor = permissions.actor_for(request) if request is not None else permissions.Actor(by, ())
    audit.record(
        action,
        actor=actor,
        on=designation,
        data={"organisation": designation.organisation_id, "user": designation.user_id, "role": designation.role},
    )


def pending_to_confirm(actor):
    """The designations awaiting confirmation that the actor may confirm as the primary point of
    contact of their organisation (one query, from the organisations already resolved)."""
    primary_of = ContactPoint.objects.active().filter(
        user=actor.user, role=ContactPoint.Role.PRIMARY, organisation_id__in=actor.organisation_ids
    )
    return (
        ContactPoint.objects.pending()
        .not_ended()
        .filter(organisation_id__in=primary_of.values("organisation_id"))
        .exclude(user=actor.user)
        .exclude(proposed_by=actor.user)
        .select_related("user", "organisation", "proposed_by")
        .order_by("active_from")
    )


def awaiting_administrator(user):
    """The designations awaiting confirmation that the network administrator `user` may confirm:
    every member's, except their own and the ones they proposed."""
    if not is_network_administrator(user):
        return ContactPoint.objects.none()
    return (
        ContactPoint.objects.pending()
        .not_ended()
        .exclude(user=user)
        .exclude(proposed_by=user)
        .select_related("user", "organisation", "proposed_by")
        .order_by("active_from")
    )


def tell(designation, kind, by, *, also=()):
    """Queue the notice `kind` about `designation` to the member's other active points of contact
    and every network administrator, each once; `also` adds the points of contact of other
    organisations (the one a designation was moved from)."""
    members = set()
    for organisation in (designation.organisation, *also):
        members.update(permissions.active_contact_points(organisation).exclude(pk=designation.user_id))
    administrators = set(network_administrators())
    facts = notice_facts(designation, by)
    for recipient in sorted(members | administrators, key=lambda user: user.pk):
        if recipient.email:
            notifications.queue(recipient, kind, details={**facts, "for_administrator": recipient in administrators})


def notice_facts(designation, by):
    """What a notice says: who did what for whom, the role and the dates; never case data."""
    proposer = designation.proposed_by
    return {
        "organisation": str(designation.organisation),
        "user": designation.user_display,
        "username": designation.user.get_username(),
        "role": designation.role,
        "active_from": designation.active_from.isoformat(),
        "active_until": designation.active_until.isoformat() if designation.active_until else None,
        "by": user_display_name(by),
        "proposed_by": user_display_name(proposer) if proposer else "",
        "pending": not designation.is_confirmed,
    }


def _refuse_own(designation, by, message):
    if by.pk == designation.user_id:
        raise ValidationError(message)


def _differs(before, after):
    """Whether anything a designation grants differs; times to the minute, as the admin's form keeps
    them (a form saved unchanged changes nothing and tells nobody)."""
    return _granted(before) != _granted(after)


def _granted(designation):
    def minute(moment):
        return moment.replace(second=0, microsecond=0) if moment else None

    return (
        designation.organisation_id,
        designation.role,
        minute(designation.active_from),
        minute(designation.active_until),
    )


def _only_extends(before, after):
    """Whether `after` is `before` with a later end (or none), nothing else changed."""
    same_otherwise = _granted(before)[:3] == _granted(after)[:3]
    return (
        same_otherwise
        and before.active_until is not None
        and (after.active_until is None or after.active_until > before.active_until)
    )
