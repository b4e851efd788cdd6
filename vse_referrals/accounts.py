"""Notices about a point of contact's own account (DESIGN.md section 4): when the password or
the e-mail address of a user who acts for an organisation changes, they are told by e-mail (the
old address too, when the address changed), so a takeover of the account does not go unseen.

The notices go through the same outbox as the case e-mails (`notifications.queue`) and carry no
secret: what changed, when, and whom to tell if it was not them.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import notifications
from .permissions import organisation_for_user

PASSWORD_CHANGED = "password-changed"
EMAIL_CHANGED = "email-changed"
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
    if not before or organisation_for_user(instance) is None:
        return
    if before["password"] != instance.password and instance.email:
        notifications.queue(instance, PASSWORD_CHANGED)
    if (before["email"] or "").lower() != (instance.email or "").lower():
        for address in {instance.email, before["email"]} - {"", None}:  # the new address and the old one
            notifications.queue(instance, EMAIL_CHANGED, address=address)
