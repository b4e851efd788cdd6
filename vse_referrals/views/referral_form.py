"""Refer a victim: the form (new or draft), the preview of what the receiver will see, sending."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.generic import TemplateView, View

from .. import presentation, workflow
from ..forms import ReferralForm
from ..models import CapacityStatus, Organisation, ReferralCase, Status
from .access import CaseMixin, ContactPointRequiredMixin


class ReferralFormView(ContactPointRequiredMixin, TemplateView):
    template_name = "vse_referrals/referral_form.html"
    page_title = _("Refer a victim")

    def get_case(self):
        return ReferralCase(sending_organisation=self.organisation)

    def get_form(self, data=None, files=None):
        return ReferralForm(data, files, instance=self.case, sender=self.organisation, initial=self.get_initial())

    def get_initial(self):
        receiver_id = self.request.GET.get("to", "")
        if receiver_id.isdigit() and Organisation.objects.filter(pk=receiver_id).exists():
            return {"receiving_organisation": int(receiver_id)}
        return {}

    def get(self, request, *args, **kwargs):
        self.case = self.get_case()
        return self.render_to_response(self.get_context_data(form=self.get_form()))

    def post(self, request, *args, **kwargs):
        self.case = self.get_case()
        form = self.get_form(request.POST, request.FILES)
        if not form.is_valid():
            message = gettext("The referral could not be saved: please correct the errors below.")
            if request.FILES:
                message += " " + gettext("Files you chose must be chosen again.")
            messages.error(request, message)
            return self.render_to_response(self.get_context_data(form=form))
        case = self.save(form)
        if form.errors:  # the draft is saved; its files were refused
            messages.error(
                request, gettext("Draft %(reference)s saved, without the files.") % {"reference": case.reference}
            )
            self.case = case
            return self.render_to_response(self.get_context_data(form=form))
        if request.POST.get("action") == "preview":
            errors = workflow.sending_errors(case)
            if errors:
                form.add_sending_errors(errors)
                messages.warning(
                    request, gettext("Your draft is saved. Complete what is marked below before you send the referral.")
                )
                self.case = case
                return self.render_to_response(self.get_context_data(form=form))
            return redirect("vse_referrals:preview", case.pk)
        messages.success(request, gettext("Draft %(reference)s saved.") % {"reference": case.reference})
        return redirect("vse_referrals:edit", case.pk)

    def save(self, form):
        case = form.save(commit=False)
        if case._state.adding:
            case.created_by = self.request.user
        case.save()
        form.save_m2m()
        if form.cleaned_data["files"]:
            try:
                workflow.add_attachments(case, self.actor, form.cleaned_data["files"])
            except ValidationError as error:  # another upload filled the case meanwhile
                form.add_error("files", error)
        return case

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        saved = not self.case._state.adding  # a new case already has its UUID, so pk says nothing
        context["case"] = self.case if saved else None
        context["action_url"] = (
            reverse("vse_referrals:edit", args=[self.case.pk]) if saved else self.request.get_full_path()
        )
        return context


class DraftEditView(CaseMixin, ReferralFormView):
    page_title = _("Edit draft referral")

    def get_case(self):
        if not self.is_sender or self.case.status != Status.DRAFT:
            raise Http404
        return self.case

    def get_initial(self):
        return {}


class PreviewView(CaseMixin, TemplateView):
    """Exactly what the receiver will see, with what to check before sending."""

    template_name = "vse_referrals/preview.html"
    page_title = _("Preview the referral")

    def get(self, request, *args, **kwargs):
        if not self.is_sender or self.case.status != Status.DRAFT:
            raise Http404
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        case = self.case
        receiver = case.receiving_organisation
        advice = workflow.priority_advice(case)
        warnings = (
            [gettext("Consider a higher priority: %(reasons)s") % {"reasons": " ".join(advice)}] if advice else []
        )
        if receiver and receiver.capacity_status != CapacityStatus.CAPACITY:
            warnings.append(
                gettext("%(organisation)s reports: %(capacity)s. Expect a longer wait, or choose another member.")
                % {"organisation": receiver, "capacity": receiver.get_capacity_status_display()}
            )
        if receiver and receiver.country == case.sending_organisation.country:
            warnings.append(
                gettext("The receiving member is in your own country. Is a cross-border referral appropriate here?")
            )
        sending_errors = workflow.sending_errors(case)
        form = ReferralForm(instance=case, sender=case.sending_organisation)
        return super().get_context_data(
            case=case,
            viewer_side="receiver",
            sending_errors=sending_errors,
            sending_error_links=form.sending_error_links(sending_errors),
            edit_url=reverse("vse_referrals:edit", args=[case.pk]),
            priority_warnings=warnings,
            language_support=presentation.language_support(case),
            attachments=case.attachments.all(),
            **kwargs,
        )


class SendView(CaseMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not self.is_sender:
            raise Http404
        try:
            workflow.perform(self.case, "send", self.actor)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect("vse_referrals:preview", self.case.pk)
        except workflow.WorkflowError as error:
            messages.warning(request, str(error))
            return redirect("vse_referrals:case", self.case.pk)
        messages.success(
            request,
            gettext("Referral %(reference)s sent to %(organisation)s.")
            % {"reference": self.case.reference, "organisation": self.case.receiving_organisation},
        )
        return redirect("vse_referrals:case", self.case.pk)


class DiscardDraftView(CaseMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not self.is_sender or self.case.status != Status.DRAFT:
            raise Http404
        reference = self.case.reference
        for attachment in self.case.attachments.all():
            attachment.file.delete(save=False)
        self.case.delete()
        messages.success(request, gettext("Draft %(reference)s discarded.") % {"reference": reference})
        return redirect("vse_referrals:inbox")
