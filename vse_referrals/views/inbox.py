"""The inbox listing: incoming, outgoing, drafts and closed referrals, with filters."""

from django import forms
from django.core.paginator import Paginator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django.views.generic import TemplateView
from django_countries import countries

from .. import conf, inbox
from ..models import Organisation, Priority, Status
from .access import ContactPointRequiredMixin

TAB_LABELS = {
    "action": _("Needs action"),
    "incoming": _("Incoming"),
    "outgoing": _("Outgoing"),
    "drafts": _("Drafts"),
    "closed": pgettext_lazy("inbox tab", "Closed"),
}


class InboxFilterForm(forms.Form):
    q = forms.CharField(label=_("Reference"), required=False, max_length=40)
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any status")), *Status.choices])
    priority = forms.ChoiceField(
        label=_("Priority"), required=False, choices=[("", _("Any priority")), *Priority.choices]
    )
    country = forms.ChoiceField(label=_("Partner's country"), required=False)
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the countries where members are: a list of 250 helps nobody.
        codes = set(Organisation.objects.values_list("country", flat=True))
        self.fields["country"].choices = [("", _("Any country")), *((c, n) for c, n in countries if c in codes)]

    def filter(self, cases, organisation_ids):
        """Apply the valid filters; invalid ones show their error and are left out."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields}
        if data["q"]:
            cases = cases.filter(reference__icontains=data["q"].strip())
        if data["status"]:
            cases = cases.filter(status=data["status"])
        if data["priority"]:
            cases = cases.filter(priority=data["priority"])
        if data["country"]:
            cases = cases.filter(
                Q(sending_organisation_id__in=organisation_ids, receiving_organisation__country=data["country"])
                | Q(receiving_organisation_id__in=organisation_ids, sending_organisation__country=data["country"])
            )
        if data["overdue"]:
            cases = cases.overdue(timezone.now())
        return cases


class InboxView(ContactPointRequiredMixin, TemplateView):
    template_name = "vse_referrals/inbox.html"
    page_title = _("Referrals")

    def get_context_data(self, **kwargs):
        current = self.request.GET.get("tab", "action")
        if current not in inbox.TABS:
            current = "action"
        filters = InboxFilterForm(self.request.GET)
        cases = filters.filter(inbox.tab(self.actor, current), self.actor.organisation_ids)
        page = Paginator(cases, conf.get("INBOX_PAGE_SIZE")).get_page(self.request.GET.get("p"))
        query = self.request.GET.copy()
        query.pop("p", None)
        return super().get_context_data(
            tabs=[(name, label) for name, label in TAB_LABELS.items()],
            current_tab=current,
            filters=filters,
            page_obj=page,
            cases=page.object_list,
            organisation=self.organisation,
            query_string=query.urlencode(),
            **kwargs,
        )
