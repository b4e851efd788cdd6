"""The points of contact of the user's own organisation, and the confirmation of a pending one by
the member's primary point of contact (four eyes, see `vse_referrals.designations`).

Like every referral view, only for someone who acts for an organisation; a designation of another
organisation is not found (404).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView

from .. import designations
from ..forms import ConfirmDesignationForm
from ..models import ContactPoint
from .access import ContactPointRequiredMixin

CONFIRMED_MESSAGE = gettext_noop(
    "Designation of %(user)s confirmed: it takes effect in its period, and everyone concerned was told."
)


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


class ConfirmDesignationView(ContactPointRequiredMixin, TemplateView):
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

    def list_url(self):
        return reverse("vse_referrals:designations")

    def get(self, request, *args, **kwargs):
        refusal = designations.refusal_to_confirm(self.actor, self.designation)
        if refusal:
            messages.error(request, refusal)
            return redirect(self.list_url())
        form = ConfirmDesignationForm(initial={"seen": designations.fingerprint(self.designation)})
        return self.render_to_response(self.get_context_data(form=form, designation=self.designation))

    def post(self, request, *args, **kwargs):
        form = ConfirmDesignationForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("The confirmation was incomplete: nothing was changed. Try again."))
            return redirect("vse_referrals:confirm_designation", self.designation.pk)
        try:
            designations.confirm(self.designation, by=request.user, seen=form.cleaned_data["seen"], request=request)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect(self.list_url())
        messages.success(
            request,
            gettext(CONFIRMED_MESSAGE) % {"user": self.designation.user_display},
        )
        return redirect(self.list_url())
