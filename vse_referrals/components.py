"""The inbox panel on the intranet dashboard."""

from wagtail.admin.ui.components import Component

from . import conf, inbox


class InboxPanel(Component):
    name = "vse_referrals_inbox"
    order = 50
    template_name = "vse_referrals/panels/inbox.html"

    class Media:
        css = {"all": ["vse_referrals/css/referrals.css"]}

    def __init__(self, user, organisation):
        self.user = user
        self.organisation = organisation

    def get_context_data(self, parent_context):
        limit = conf.get("DASHBOARD_LIMIT")
        needing_action = inbox.tab(self.user, self.organisation, "action")
        awaiting_partner = inbox.tab(self.user, self.organisation, "outgoing").exclude(
            inbox.needs_action_q(self.organisation)
        )
        return {
            "organisation": self.organisation,
            "needing_action": list(needing_action[:limit]),
            "needing_action_count": needing_action.count(),
            "awaiting_partner": list(awaiting_partner[:limit]),
            "awaiting_partner_count": awaiting_partner.count(),
            "overdue_count": inbox.tab(self.user, self.organisation, "incoming").filter(inbox.overdue_q()).count(),
        }
