"""Accounts of points of contact (DESIGN.md section 4).

Nobody changes a point of contact's password or e-mail address but themselves
(`refuse_credential_takeover`, run before Wagtail's user edit view): otherwise an administrator
could set them, sign in as the point of contact and read their member's cases without the second
person a designation needs. A lost password is reset by the user through the sign-in page's
"forgotten password" (to the address on record); an account nobody can reach any more is ended
and a new one designated, which needs four eyes. A refused attempt is in the audit log.

Notices: when the password or
the e-mail address of a user who acts for an organisation changes, they are told by e-mail (the
old address too, when the address changed), so a takeover of the account does not go unseen.

The notices go through the same outbox as the case e-mails (`notifications.queue`) and carry no
secret: what changed, when, and whom to tell if it was not them. Changes made with
`QuerySet.update()` or `bulk_update()` send no signal and so no notice: nothing in the app or in
Wagtail changes credentials that way.
"""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from . import audit, notifications
from .models import AuditAction, ContactPoint
from .permissions import actor_for_user

PASSWORD_CHANGED = "password-changed"  # nosec B105  # the name of a notice, not a password
EMAIL_CHANGED = "email-changed"
TWO_FACTOR_RESET = "two-factor-reset"
WATCHED = ("password", "email")


@receiver(pre_save, sender=get_user_model(), dispatch_uid="vse_referrals_credentials_before")
def remember_credentials(sender, instance, update_fields=None, **kwargs):
    instance._vse_credentials_before = None
    if instance.pk is None or (update_fields is not None and not set(WATCHED) & set(update_fields)):
        return  # a new account, or a save of other fields (the last sign-in time on every sign-in)
    instance._vse_credentials_before = sender.objects.filter(pk=instance.pk).values(*WATCHED).first()


@receiver(post_save, sender=get_user_model(), dispatch_uid="vse_referrals_credentials_after")
def notify_credential_changes(sender, instance, created, **kwargs):
    before = getattr(instance, "_vse_credentials_before", None)
    instance._vse_credentials_before = None
    if not before or not actor_for_user(instance).is_contact_point:
        return
    # `_password` is set by set_password() until the save is done; Django's re-hashing of a
    # password at sign-in (a new hasher or more iterations after an upgrade) clears it first:
    # that is not a change anyone made, so it is not announced.
    if before["password"] != instance.password and getattr(instance, "_password", None) is not None and instance.email:
        notifications.queue(instance, PASSWORD_CHANGED)
    if (before["email"] or "").lower() != (instance.email or "").lower():
        for address in {instance.email, before["email"]} - {"", None}:  # the new address and the old one
            notifications.queue(instance, EMAIL_CHANGED, address=address)


def refuse_credential_takeover(request, user):
    """Wagtail's `before_edit_user` hook: someone else's edit of a point of contact's account may not
    set its password or change its e-mail address (see the module's docstring). Returns the answer
    that refuses a POST that tries (nothing saved), or None to let Wagtail go on."""
    if user.pk == request.user.pk or not ContactPoint.objects.not_ended().filter(user=user).exists():
        return None
    explanation = _(
        "%(user)s is a point of contact: only they can change their password or e-mail address "
        "(a forgotten password is reset from the sign-in page, to the address on record). If they "
        "cannot be reached, end their designation and designate someone else."
    ) % {"user": user.get_full_name() or user.get_username()}
    if request.method != "POST":
        messages.info(request, explanation)
        return None
    new_email = (request.POST.get("email", user.email) or "").strip().lower()
    if not request.POST.get("password1") and new_email == (user.email or "").lower():
        return None
    audit.record(AuditAction.CREDENTIALS_CHANGE_REFUSED, request=request, on=user)
    messages.error(request, _("Nothing was saved.") + " " + explanation)
    return redirect(request.get_full_path())
