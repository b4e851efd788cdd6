"""The inbox listing: what needs action, incoming, outgoing, drafts and closed referrals.

A Wagtail listing (`BaseListingView`, as `wagtail.contrib.forms` lists form pages): the search
box and the filters in the header refresh `index_results.html` in place, the tabs are the
`tab` filter, and the table's columns are the dashboard panel's.
"""

from django.urls import reverse
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms.search import SearchForm
from wagtail.admin.views.generic.base import BaseListingView
from wagtail.admin.widgets.button import HeaderButton

from .. import conf, inbox
from ..filters import TAB_LABELS, InboxFilterSet
from ..tables import CASE_COLUMNS, CLOSED_CASE_COLUMNS, CLOSED_CASE_FIELDS, CaseTable
from .access import ContactPointRequiredMixin


class InboxView(ContactPointRequiredMixin, BaseListingView):
    template_name = "vse_referrals/inbox/index.html"
    results_template_name = "vse_referrals/inbox/index_results.html"
    page_title = _("Referrals")
    index_url_name = "vse_referrals:inbox"
    index_results_url_name = "vse_referrals:inbox_results"
    verbose_name = _("referral")
    verbose_name_plural = _("referrals")
    filterset_class = InboxFilterSet
    table_class = CaseTable
    # The reference is the only text searched, in its plain column and never through a search
    # backend: names and narratives are encrypted, and a listing must never match them.
    is_searchable = True
    search_fields = ["reference"]
    search_backend_name = None

    def get_paginate_by(self, queryset):
        return conf.get("INBOX_PAGE_SIZE")

    def get_search_form(self):
        return SearchForm(self.request.GET or None, placeholder=_("Search by reference"))

    def get_base_queryset(self):
        # The tab chooses the cases (one side's index serves each); the other filters narrow them.
        if self.filters.current_tab == "closed":
            return inbox.tab(self.actor, "closed", *CLOSED_CASE_FIELDS)
        return inbox.tab(self.actor, self.filters.current_tab)

    @property
    def columns(self):
        return CLOSED_CASE_COLUMNS if self.filters.current_tab == "closed" else CASE_COLUMNS

    def filter_queryset(self, queryset):
        return self.filters.filter_queryset(queryset)

    @cached_property
    def is_filtering(self):
        # The tab is the list being looked at, not a filter: "N matches" counts only the others.
        return bool(self.filters.applied)

    @cached_property
    def active_filters(self):
        # The tabs show the current list already; a pill for it would say it twice.
        tab_id = self.filters.form["tab"].auto_id
        return [active for active in super().active_filters if active.auto_id != tab_id]

    @cached_property
    def no_results_message(self):
        if self.is_searching or self.is_filtering:
            return _("No referral in this list matches the search or the filters.")
        return _("No referrals here.")

    @cached_property
    def header_buttons(self):
        # One button: two do not fit beside the search on a phone (the points of contact are linked
        # from the listing's introduction).
        return [HeaderButton(_("Refer a victim"), url=reverse("vse_referrals:refer"), icon_name="plus")]

    def get_table_kwargs(self):
        current = self.filters.current_tab
        return {**super().get_table_kwargs(), "actor": self.actor, "caption": TAB_LABELS[current]}

    def get_context_data(self, **kwargs):
        current = self.filters.current_tab
        return super().get_context_data(
            tabs=[(name, label, name == current) for name, label in TAB_LABELS.items()],
            organisation=self.organisation,
            **kwargs,
        )
