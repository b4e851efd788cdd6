"""The panels on the intranet dashboard: the inbox, designations to confirm, stale member profiles."""

from wagtail.admin.ui.components import Component
from wagtail.permission_policies.pages import PagePermissionPolicy

from . import conf, designations, inbox
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

    def get_context_data(self, parent_context):
        limit = conf.get("DASHBOARD_LIMIT")
        lists = {
            "needing_action": inbox.tab(self.actor, "action"),
            "awaiting_partner": inbox.listing(inbox.awaiting_partner(self.actor)).order_by(*inbox.URGENT_FIRST),
        }
        context, to_count = {}, {"overdue_count": inbox.overdue_incoming(self.actor)}
        for name, cases in lists.items():
            rows = list(cases[:limit])
            context[name] = CaseTable(CASE_COLUMNS, rows, actor=self.actor)
            # A list shorter than the limit is its own count; only a full one is counted.
            if len(rows) < limit:
                context[f"{name}_count"] = len(rows)
            else:
                to_count[f"{name}_count"] = cases
        context.update(zip(to_count, inbox.count_each(to_count.values()), strict=True))
        return context


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
            .originals()
            .stale()
            .order_by("last_verified", "title")
        )
        profiles = list(stale[: conf.get("DASHBOARD_LIMIT")])
        return cls(profiles) if profiles else None

    def get_context_data(self, parent_context):
        return {"profiles": self.profiles}


class PendingDesignationsPanel(Component):
    """Designations awaiting the user's confirmation (four eyes): of their member, for its primary
    point of contact; of every member, for a network administrator."""

    name = "vse_referrals_pending_designations"
    order = 40
    template_name = "vse_referrals/panels/pending_designations.html"

    class Media:
        css = {"all": ["vse_referrals/css/referrals.css"]}

    def __init__(self, pending, for_administrator=False):
        self.pending = pending
        self.for_administrator = for_administrator

    @classmethod
    def for_actor(cls, actor):
        limit = conf.get("DASHBOARD_LIMIT")
        if designations.is_network_administrator(actor.user):
            pending = list(designations.awaiting_administrator(actor.user)[:limit])
            return cls(pending, for_administrator=True) if pending else None
        if not actor.is_contact_point:
            return None
        pending = list(designations.pending_to_confirm(actor)[:limit])
        return cls(pending) if pending else None

    def get_context_data(self, parent_context):
        return {"pending": self.pending, "for_administrator": self.for_administrator}
