"""The inbox panel on the intranet dashboard."""

from wagtail.admin.ui.components import Component
from wagtail.permission_policies.pages import PagePermissionPolicy

from . import conf, inbox
from .models import MemberOrganisationPage
from .tables import CASE_COLUMNS, CaseTable


class InboxPanel(Component):
    name = "vse_referrals_inbox"
    order = 50
    template_name = "vse_referrals/panels/inbox.html"

    class Media:
        css = {"all": ["vse_referrals/css/referrals.css"]}

    def __init__(self, actor):
        self.actor = actor

    def table(self, cases):
        """The first cases of `cases` in the inbox's columns."""
        return CaseTable(CASE_COLUMNS, list(cases[: conf.get("DASHBOARD_LIMIT")]), actor=self.actor)

    def get_context_data(self, parent_context):
        needing_action = inbox.tab(self.actor, "action")
        awaiting_partner = inbox.listing(inbox.awaiting_partner(self.actor)).order_by(*inbox.URGENT_FIRST)
        return {
            "needing_action": self.table(needing_action),
            "needing_action_count": needing_action.count(),
            "awaiting_partner": self.table(awaiting_partner),
            "awaiting_partner_count": awaiting_partner.count(),
            "overdue_count": inbox.count_overdue_incoming(self.actor),
        }


class StaleProfilesPanel(Component):
    """Member profiles the editor may edit that nobody has verified for a year."""

    name = "vse_referrals_stale_profiles"
    order = 60
    template_name = "vse_referrals/panels/stale_profiles.html"

    def __init__(self, profiles):
        self.profiles = profiles

    @classmethod
    def for_user(cls, user):
        editable = PagePermissionPolicy().instances_user_has_permission_for(user, "change")
        stale = (
            MemberOrganisationPage.objects.filter(pk__in=editable.values("pk"))
            .stale()
            .order_by("last_verified", "title")
        )
        profiles = list(stale[: conf.get("DASHBOARD_LIMIT")])
        return cls(profiles) if profiles else None

    def get_context_data(self, parent_context):
        return {"profiles": self.profiles}
