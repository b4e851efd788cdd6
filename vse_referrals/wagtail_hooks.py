from django.templatetags.static import static
from django.urls import include, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.snippets.models import register_snippet
from wagtail_modeladmin.options import modeladmin_register

from . import accounts, admin_urls, audit, permissions
from .components import InboxPanel, PendingDesignationsPanel, StaleProfilesPanel
from .menu import ReferralsMenuItem
from .modeladmin import ReferralNetworkAdminGroup
from .snippets import DirectoryVocabulariesGroup
from .views.directory_report import URL_NAME as DIRECTORY_REPORT_URL_NAME
from .views.directory_report import DirectoryServicesReportMenuItem, DirectoryServicesReportView
from .views.statistics import URL_NAME as STATISTICS_URL_NAME
from .views.statistics import ReferralStatisticsMenuItem, ReferralStatisticsView

modeladmin_register(ReferralNetworkAdminGroup)
register_snippet(DirectoryVocabulariesGroup)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [
        path("referrals/", include(admin_urls, namespace="vse_referrals")),
        path("reports/directory-services/", DirectoryServicesReportView.as_view(), name=DIRECTORY_REPORT_URL_NAME),
        path("reports/referral-statistics/", ReferralStatisticsView.as_view(), name=STATISTICS_URL_NAME),
    ]


@hooks.register("insert_global_admin_css")
def insert_global_admin_css():
    return format_html('<link rel="stylesheet" href="{}">', static("vse_referrals/css/admin.css"))


@hooks.register("register_admin_menu_item")
def register_admin_menu_item():
    return ReferralsMenuItem()


@hooks.register("register_reports_menu_item")
def register_reports_menu_item():
    return DirectoryServicesReportMenuItem(
        _("Directory services"),
        reverse(DIRECTORY_REPORT_URL_NAME),
        name="vse-directory-services",
        icon_name="table",
        order=1300,
    )


@hooks.register("register_reports_menu_item")
def register_statistics_menu_item():
    return ReferralStatisticsMenuItem(
        _("Referral statistics"),
        reverse(STATISTICS_URL_NAME),
        name="vse-referral-statistics",
        icon_name="table",
        order=1310,
    )


@hooks.register("construct_homepage_panels")
def construct_homepage_panels(request, panels):
    actor = permissions.actor_for(request)
    if actor.is_contact_point:
        panels.append(InboxPanel(actor))
    pending_designations = PendingDesignationsPanel.for_actor(actor)
    if pending_designations is not None:
        panels.append(pending_designations)
    stale_profiles = StaleProfilesPanel.for_user(request.user)
    if stale_profiles is not None:
        panels.append(stale_profiles)


@hooks.register("before_edit_user")
def keep_contact_points_credentials_their_own(request, user):
    return accounts.refuse_credential_takeover(request, user)


@hooks.register("register_log_actions")
def register_log_actions(actions):
    audit.register_log_actions(actions)
