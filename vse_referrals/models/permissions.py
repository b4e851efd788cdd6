"""django-guardian direct foreign-key object permissions on organisations.

Direct foreign keys (instead of guardian's generic tables) keep permission checks to plain,
indexed joins. Only `vse_referrals.permissions` reads or writes these tables.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase

from .organisations import NotInReferenceIndex


class OrganisationUserObjectPermission(NotInReferenceIndex, UserObjectPermissionBase):
    content_object = models.ForeignKey("vse_referrals.Organisation", on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("organisation permission of a user")
        verbose_name_plural = _("organisation permissions of users")


class OrganisationGroupObjectPermission(NotInReferenceIndex, GroupObjectPermissionBase):
    content_object = models.ForeignKey("vse_referrals.Organisation", on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        verbose_name = _("organisation permission of a group")
        verbose_name_plural = _("organisation permissions of groups")
