"""The points of contact of the user's own organisation, and the confirmation of a pending one by
the member's primary point of contact (four eyes, see `vse_referrals.designations`).

Like every referral view, only for someone who acts for an organisation; a designation of another
organisation is not found (404).
"""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .. import designations
from ..confirming import ConfirmDesignationFlow
from ..models import ContactPoint
from .access import ContactPointRequiredMixin


class DesignationsView(ContactPointRequiredMixin, TemplateView):
    template_name = "vse_referrals/designations/index.html"
    page_title = _("Points of contact")
    header_icon = "user"

    def get_context_data(self, **kwargs):
        current = (
            self.organisation.contact_points.not_ended()
            .select_related("user", "proposed_by", "organisation")
            .order_by("-role", "active_from")
        )
        confirmable = set(designations.pending_to_confirm(self.actor).values_list("pk", flat=True))
        return super().get_context_data(
            organisation=self.organisation,
            rows=[(designation, designation.pk in confirmable) for designation in current],
            **kwargs,
        )


class ConfirmDesignationView(ConfirmDesignationFlow, ContactPointRequiredMixin, TemplateView):
    template_name = "vse_referrals/designations/confirm.html"
    page_title = _("Confirm designation")
    header_icon = "user"

    def resolve(self, designation_id, **kwargs):
        self.designation = get_object_or_404(
            ContactPoint.objects.select_related("user", "organisation", "proposed_by"),
            pk=designation_id,
            organisation=self.organisation,
        )
        # Who may confirm is `designations.refusal_to_confirm`'s to say (GET), and `confirm`'s (POST).

    @property
    def designation_to_confirm(self):
        return self.designation

    def done_url(self):
        return reverse("vse_referrals:designations")

    def again_url(self):
        return reverse("vse_referrals:confirm_designation", args=[self.designation.pk])
