"""What every referral view starts with: the user acts for an organisation; the case is theirs.

Anyone else gets 404, whatever their flags or permissions (DESIGN.md section 4).
"""

from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .. import audit, permissions
from ..models import Side


class ContactPointRequiredMixin(WagtailAdminTemplateMixin):
    header_icon = "mail"

    def dispatch(self, request, *args, **kwargs):
        self.actor = permissions.actor_for(request)
        self.organisation = self.actor.organisation
        if self.organisation is None:
            raise Http404
        self.resolve(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def resolve(self, **kwargs):
        """Load what the URL names, through the access rule."""

    def get_breadcrumbs_items(self):
        items = list(self.breadcrumbs_items)
        inbox_url = reverse("vse_referrals:inbox")
        if self.request.path != inbox_url:
            items.append({"url": inbox_url, "label": _("Referrals")})
        return [*items, {"url": "", "label": self.get_page_title()}]


class CaseMixin(ContactPointRequiredMixin):
    """Resolves `case_id` through the access rule; sets `case` and the user's `side`.

    Every 404 on a case URL (not a party, no organisation, a file or transition the case does not
    have) is recorded in the audit log with the case id from the URL."""

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        except Http404:
            audit.record_denied_case_request(request, kwargs["case_id"])
            raise

    def resolve(self, case_id, **kwargs):
        self.case = self.actor.get_case(case_id)
        self.side = self.actor.side(self.case)
        self.is_sender = self.side == Side.SENDER
