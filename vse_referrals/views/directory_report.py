"""An admin report of every service of the member profiles an editor may edit, as CSV or XLSX.

Visible to users who can edit pages of the directory, decided by Wagtail's page permission
policy. It lists services only: no location (so no hidden address) is ever part of it.
"""

import datetime

from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.reports import ReportView
from wagtail.permission_policies.pages import PagePermissionPolicy

from ..models import MemberDirectoryPage, MemberOrganisationPage, MemberService

SEPARATOR = "; "
URL_NAME = "vse_referrals_directory_services"
DIMENSIONS = (
    # row key, heading: the seven mapping dimensions (DESIGN.md section 1)
    ("assistance_forms", _("Forms of assistance")),
    ("victim_types", _("Types of victims")),
    ("outreach_channels", _("How victims are informed")),
    ("access_channels", _("Ways to get assistance")),
    ("capacity", _("Capacity")),
    ("staffing", _("Staff, volunteers and training")),
    ("funding", _("Financing")),
)
HEADINGS = {
    "member": _("Member"),
    "country": _("Country"),
    "service": _("Service"),
    **dict(DIMENSIONS),
    "accessibility": _("Accessibility"),
    "languages": _("Languages"),
    "open_24_7": _("Open 24/7"),
    "free_of_charge": _("Free of charge"),
    "last_verified": _("Last verified"),
    "status": _("Status"),
}


def editable_member_pages(user):
    return PagePermissionPolicy(MemberOrganisationPage).instances_user_has_permission_for(user, "change")


def can_view_directory_report(user):
    """Whether `user` may edit the directory page or any member profile."""
    directories = PagePermissionPolicy(MemberDirectoryPage).instances_user_has_permission_for(user, "change")
    return directories.exists() or editable_member_pages(user).exists()


def joined(values):
    return SEPARATOR.join(str(value) for value in values if value not in (None, ""))


def yes_no(value):
    return gettext("Yes") if value else gettext("No")


def counted(singular, plural, number):
    # The same messages as the profile page's template, so they share one translation.
    return ngettext(singular, plural, number) % {"counter": number} if number is not None else ""


def staffing(service):
    return joined(
        [
            counted("%(counter)s paid staff member", "%(counter)s paid staff", service.paid_staff),
            counted("%(counter)s volunteer", "%(counter)s volunteers", service.volunteers),
            service.training,
        ]
    )


def publication_status(page):
    """Wagtail's status words, from the page's own columns (no query per row)."""
    if not page.live:
        return gettext("draft")
    return gettext("live + draft") if page.has_unpublished_changes else gettext("live")


def service_row(service):
    """One row of the report: every value already a string, a date or None."""
    page = service.page
    return {
        "page_id": page.pk,
        "member": page.title,
        "country": str(page.country.name),
        "service": service.name,
        "assistance_forms": joined(service.assistance_forms.all()),
        "victim_types": joined(service.victim_types.all()),
        "outreach_channels": joined(service.outreach_channels.all()),
        "access_channels": joined(service.access_channels.all()),
        "capacity": joined([page.capacity_status and page.capacity_status.label, service.capacity_notes]),
        "staffing": staffing(service),
        "funding": joined([*service.funding_sources.all(), service.funding_notes]),
        "accessibility": joined(service.accessibility.all()),
        "languages": joined(service.languages.all()),
        "open_24_7": yes_no(service.open_24_7),
        "free_of_charge": yes_no(service.free_of_charge),
        "last_verified": page.last_verified,
        "status": publication_status(page),
    }


class DirectoryServicesReportView(ReportView):
    page_title = _("Directory services")
    header_icon = "table"
    index_url_name = URL_NAME
    results_template_name = "wagtailadmin/reports/base_report_results.html"
    list_export = list(HEADINGS)
    export_headings = HEADINGS
    columns = [
        TitleColumn(
            "member",
            label=HEADINGS["member"],
            get_url=lambda row: reverse("wagtailadmin_pages:edit", args=[row["page_id"]]),
        ),
        *(Column(key, label=heading) for key, heading in HEADINGS.items() if key != "member"),
    ]

    def dispatch(self, request, *args, **kwargs):
        if not can_view_directory_report(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_filename(self):
        return f"directory-services-{datetime.date.today():%Y-%m-%d}"

    def get_queryset(self):
        return (
            # One row per service, not one per language it is translated into.
            MemberService.objects.filter(
                page__in=MemberOrganisationPage.objects.filter(
                    pk__in=editable_member_pages(self.request.user).values("pk")
                ).originals()
            )
            .select_related("page__organisation")
            .prefetch_related(
                "assistance_forms",
                "victim_types",
                "outreach_channels",
                "access_channels",
                "funding_sources",
                "accessibility",
                "languages",
            )
            .order_by("page__country", "page__title", "page_id", "sort_order", "pk")
        )

    def paginate_queryset(self, queryset, page_size):
        """The listing shows the same rows as the export."""
        paginator, page, services, is_paginated = super().paginate_queryset(queryset, page_size)
        return paginator, page, [service_row(service) for service in services], is_paginated

    def to_row_dict(self, item):
        row = service_row(item)
        return {field: row[field] for field in self.list_export}


class DirectoryServicesReportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_view_directory_report(request.user)
