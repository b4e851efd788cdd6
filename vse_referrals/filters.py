"""The inbox's filters: the tab (which list), status, priority, the partner's country, overdue only.

Which cases each tab lists stays in `inbox.TABS`, and the view starts from the chosen one. An invalid
value shows its error at its field and is left out while the other filters still apply (Wagtail's
listings drop every filter when one is invalid); an unknown tab falls back to the default one.
"""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries import countries
from wagtail.admin.filters import WagtailFilterSet

from . import permissions
from .models import Organisation, Priority, ReferralCase, Status

TAB_LABELS = {
    "action": _("Needs action"),
    "incoming": _("Incoming"),
    "outgoing": _("Outgoing"),
    "drafts": _("Drafts"),
    "closed": pgettext_lazy("inbox tab", "Closed"),
}
DEFAULT_TAB = "action"


class CheckboxFilter(django_filters.BooleanFilter):
    """A checkbox: ticked (`on`, as the dashboard's links say) or not; never "unknown"."""

    field_class = forms.BooleanField


class InboxFilterSet(WagtailFilterSet):
    tab = django_filters.ChoiceFilter(
        label=_("Referral list"),
        choices=list(TAB_LABELS.items()),
        empty_label=None,
        initial=DEFAULT_TAB,
        widget=forms.RadioSelect,
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Status.choices, empty_label=_("Any status"), widget=forms.RadioSelect
    )
    priority = django_filters.ChoiceFilter(
        label=_("Priority"), choices=Priority.choices, empty_label=_("Any priority"), widget=forms.RadioSelect
    )
    country = django_filters.ChoiceFilter(
        label=_("Partner's country"), empty_label=_("Any country"), method="filter_partner_country"
    )
    overdue = CheckboxFilter(label=_("Overdue only"), widget=forms.CheckboxInput, method="filter_overdue")

    class Meta:
        model = ReferralCase
        fields = []

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the countries where members are: a list of 250 helps nobody.
        codes = set(Organisation.objects.values_list("country", flat=True))
        self.filters["country"].extra["choices"] = [(code, name) for code, name in countries if code in codes]

    @cached_property
    def actor(self):
        return permissions.actor_for(self.request)

    @property
    def current_tab(self):
        """The tab asked for, or the default one when none or an unknown one is asked for."""
        self.form.is_valid()
        return self.form.cleaned_data.get("tab") or DEFAULT_TAB

    @property
    def applied(self):
        """The names of the filters that narrow the current tab down (valid, and not their default)."""
        self.form.is_valid()
        return [name for name in self.form.changed_data if name != "tab" and name in self.form.cleaned_data]

    def filter_queryset(self, queryset):
        self.form.is_valid()  # cleans every field: an invalid one is left out of cleaned_data
        for name, value in self.form.cleaned_data.items():
            if name != "tab":  # the tab is the queryset the view starts from (InboxView.get_base_queryset)
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_partner_country(self, queryset, name, value):
        ids = self.actor.organisation_ids
        return queryset.filter(
            Q(sending_organisation_id__in=ids, receiving_organisation__country=value)
            | Q(receiving_organisation_id__in=ids, sending_organisation__country=value)
        )

    def filter_overdue(self, queryset, name, value):
        return queryset.overdue(timezone.now()) if value else queryset
