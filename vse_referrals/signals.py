from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import ContactPoint, Organisation
from .permissions import set_up_organisation_group, sync_group_memberships


@receiver(post_save, sender=ContactPoint, dispatch_uid="vse_referrals_contact_point_saved")
@receiver(post_delete, sender=ContactPoint, dispatch_uid="vse_referrals_contact_point_deleted")
def contact_point_changed(sender, instance, **kwargs):
    # The user of a designation never changes after creation (the edit form locks it).
    sync_group_memberships(instance.user)


@receiver(post_save, sender=Organisation, dispatch_uid="vse_referrals_organisation_saved")
def organisation_saved(sender, instance, created, raw=False, **kwargs):
    # Fixtures (raw) bring their groups and grants with them.
    if not raw:
        set_up_organisation_group(instance, created=created)


@receiver(post_delete, sender=Organisation, dispatch_uid="vse_referrals_organisation_deleted")
def organisation_deleted(sender, instance, **kwargs):
    instance.contact_points_group.delete()
