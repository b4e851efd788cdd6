from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem

from . import inbox, permissions


class ReferralsMenuItem(MenuItem):
    """Shown to contact points only, with the number of referrals that need their action."""

    def __init__(self):
        super().__init__(
            _("Referrals"), reverse_lazy("vse_referrals:inbox"), name="referrals", icon_name="mail", order=150
        )

    def is_shown(self, request):
        return permissions.actor_for(request).is_contact_point

    def render_component(self, request):
        component = super().render_component(request)
        count = inbox.count_needing_action(permissions.actor_for(request))
        if count:
            component.label = f"{self.label} ({count})"
        return component
