"""The confirmation page of a designation and its POST, shared by the network administrator's
view (modeladmin) and the member's primary point of contact's (views/designations.py).

A view using `ConfirmDesignationFlow` provides `designation_to_confirm`, `done_url()` (where to go
afterwards) and `again_url()` (the page itself); who may confirm is `designations`' to say.
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext, gettext_noop

from . import designations, permissions
from .forms import ConfirmDesignationForm

CONFIRMED_MESSAGE = gettext_noop(
    "Designation of %(user)s confirmed: it takes effect in its period, and everyone concerned was told."
)


class ConfirmDesignationFlow:
    def get(self, request, *args, **kwargs):
        designation = self.designation_to_confirm
        refusal = designations.refusal_to_confirm(permissions.actor_for(request), designation)
        if refusal:
            messages.error(request, refusal)
            return redirect(self.done_url())
        form = ConfirmDesignationForm(initial={"seen": designations.fingerprint(designation)})
        return self.render_to_response(self.get_context_data(form=form, designation=designation))

    def post(self, request, *args, **kwargs):
        designation = self.designation_to_confirm
        form = ConfirmDesignationForm(request.POST)
        if not form.is_valid():
            messages.error(request, gettext("The confirmation was incomplete: nothing was changed. Try again."))
            return redirect(self.again_url())
        try:
            designations.confirm(designation, by=request.user, seen=form.cleaned_data["seen"], request=request)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect(self.done_url())
        messages.success(request, gettext(CONFIRMED_MESSAGE) % {"user": designation.user_display})
        return redirect(self.done_url())
