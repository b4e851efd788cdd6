"""The case page and what is done on it: transitions, messages, files, downloads."""

import re

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.views.generic import TemplateView, View

from .. import workflow
from ..forms import AttachmentForm, MessageForm, TransitionForm
from ..models import EventKind, Status
from .access import CaseMixin

ACCESS_EVENTS = (EventKind.VIEWED, EventKind.DOWNLOADED)


class CaseView(CaseMixin, TemplateView):
    template_name = "vse_referrals/case.html"

    def get_page_title(self):
        return gettext("Referral %(reference)s") % {"reference": self.case.reference}

    def get(self, request, *args, **kwargs):
        self.case = workflow.open_if_receiver(self.case, self.actor)
        workflow.record_view(self.case, self.actor)
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        case = self.case
        events = list(case.events.select_related("actor", "organisation"))
        transitions = workflow.available_transitions(case, self.side)
        bound = kwargs.pop("bound_transition", None)
        actions = [
            {
                "transition": transition,
                # Several action forms share the page: each gets its own element ids.
                "form": bound[1]
                if bound and bound[0] == transition.name
                else TransitionForm(auto_id=f"id_{transition.name}_%s"),
                "open": bool(bound and bound[0] == transition.name),
            }
            for transition in transitions
        ]
        return super().get_context_data(
            case=case,
            viewer_side=self.side,
            is_sender=self.is_sender,
            actions=actions,
            timeline=[event for event in events if event.kind not in ACCESS_EVENTS],
            access_log=[event for event in events if event.kind in ACCESS_EVENTS][-50:],
            conversation=case.messages.select_related("author", "organisation"),
            attachments=case.attachments.select_related("organisation"),
            message_form=kwargs.pop("message_form", None) or MessageForm(),
            attachment_form=kwargs.pop("attachment_form", None) or AttachmentForm(case=case),
            can_talk=case.is_open and not case.purged_at,
            show_reason=bool(case.status_reason) and (case.is_closed or case.status == Status.ON_HOLD),
            outcome_visible=not self.is_sender or case.consent_to_report_back,
            **kwargs,
        )


class CasePostView(CaseView):
    """POST handlers re-render the case page with the user's input when it needs correcting."""

    http_method_names = ["post"]

    def render_with(self, status=200, **context):
        return self.render_to_response(self.get_context_data(**context), status=status)


class TransitionView(CasePostView):
    def post(self, request, *args, name, **kwargs):
        transition = workflow.TRANSITIONS.get(name)
        if transition is None or not transition.manual:
            raise Http404
        form = TransitionForm(request.POST, auto_id=f"id_{name}_%s")
        form.is_valid()
        try:
            workflow.perform(
                self.case,
                name,
                self.actor,
                reason=form.cleaned_data.get("reason", ""),
                outcome=form.cleaned_data.get("outcome", ""),
            )
        except workflow.TransitionNotAllowed:
            raise PermissionDenied from None
        except workflow.TransitionConflict as conflict:
            messages.warning(request, str(conflict))
            return redirect("vse_referrals:case", self.case.pk)
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            messages.error(request, gettext("Nothing was changed: please correct the form."))
            return self.render_with(bound_transition=(name, form))
        messages.success(request, workflow.done_message(transition, self.case))
        return redirect("vse_referrals:case", self.case.pk)


class MessageView(CasePostView):
    def post(self, request, *args, **kwargs):
        form = MessageForm(request.POST)
        if form.is_valid():
            try:
                workflow.add_message(self.case, self.actor, form.cleaned_data["body"])
            except ValidationError as error:
                form.add_error("body", error.message_dict["body"])
            except workflow.TransitionNotAllowed as error:
                messages.error(request, str(error))
                return redirect("vse_referrals:case", self.case.pk)
            else:
                messages.success(request, gettext("Message sent."))
                return redirect(f"{self.case_url()}#conversation")
        messages.error(request, gettext("The message was not sent: please correct it."))
        return self.render_with(message_form=form)

    def case_url(self):
        return reverse("vse_referrals:case", args=[self.case.pk])


class AttachmentUploadView(CasePostView):
    def post(self, request, *args, **kwargs):
        if self.case.purged_at or self.case.is_closed:
            messages.error(request, gettext("Files can no longer be added to this case."))
            return redirect("vse_referrals:case", self.case.pk)
        form = AttachmentForm(request.POST, request.FILES, case=self.case)
        if form.is_valid():
            uploads = form.cleaned_data["files"]
            try:
                workflow.add_attachments(self.case, self.actor, uploads)
            except ValidationError as error:  # another upload filled the case meanwhile
                form.add_error("files", error)
        if form.errors:
            messages.error(request, gettext("The file was not added: please correct the error."))
            return self.render_with(attachment_form=form)
        messages.success(
            request, ngettext("File added.", "%(count)s files added.", len(uploads)) % {"count": len(uploads)}
        )
        return redirect("vse_referrals:case", self.case.pk)


class AttachmentDownloadView(CaseMixin, View):
    def get(self, request, *args, attachment_id, **kwargs):
        attachment = get_object_or_404(self.case.attachments, pk=attachment_id)
        data = attachment.read()
        workflow.record_download(attachment, self.actor)
        response = HttpResponse(data, content_type=attachment.content_type)
        response["Content-Disposition"] = f'attachment; filename="{_safe_filename(attachment.original_name)}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


def _safe_filename(name):
    cleaned = re.sub(r"[^\w.\- ]", "_", name, flags=re.ASCII).strip() or "attachment"
    return cleaned[:120]
