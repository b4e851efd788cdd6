from django.urls import include, path
from wagtail import hooks
from wagtail_modeladmin.options import modeladmin_register

from . import admin_urls, permissions
from .components import InboxPanel
from .menu import ReferralsMenuItem
from .modeladmin import ReferralNetworkAdminGroup

modeladmin_register(ReferralNetworkAdminGroup)


@hooks.register("register_admin_urls")
def register_admin_urls():
    return [path("referrals/", include(admin_urls, namespace="vse_referrals"))]


@hooks.register("register_admin_menu_item")
def register_admin_menu_item():
    return ReferralsMenuItem()


@hooks.register("construct_homepage_panels")
def construct_homepage_panels(request, panels):
    organisation = permissions.organisation_for_user(request.user)
    if organisation is not None:
        panels.append(InboxPanel(request.user, organisation))
