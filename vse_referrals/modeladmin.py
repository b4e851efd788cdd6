"""Network administration for VSE staff: member organisations and their contact points."""

from django.contrib import messages
from django.contrib.admin import SimpleListFilter
from django.contrib.admin.utils import quote, unquote
from django.core.exceptions import ValidationError
from django.db import router
from django.db.models import Prefetch, ProtectedError
from django.db.models.deletion import Collector
from django.http import Http404
from django.shortcuts import redirect
from django.template.defaultfilters import yesno
from django.urls import re_path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_countries.filters import CountryFilter
from wagtail.admin.panels import FieldPanel, FieldRowPanel, ObjectList
from wagtail_modeladmin.helpers import ButtonHelper, PermissionHelper
from wagtail_modeladmin.options import ModelAdmin, ModelAdminGroup
from wagtail_modeladmin.views import (
    CreateView,
    DeleteView,
    EditView,
    HistoryView,
    InspectView,
    InstanceSpecificView,
    WMABaseView,
)

from . import designations, permissions, two_factor
from .confirming import ConfirmDesignationFlow
from .dates import format_day, format_moment
from .forms import ContactPointForm, OrganisationForm
from .models import ContactPoint, Organisation, ReferralCase, Status

INDEX_TEMPLATE = "vse_referrals/modeladmin/index.html"


class ManagementPermissionHelper(PermissionHelper):
    """Only the standard add/change/delete/view permissions open network administration.

    The organisation's referral permission is granted per object by `vse_referrals.permissions`;
    given as a global permission by mistake it must not open these menus either.
    """

    MANAGEMENT_ACTIONS = ("add", "change", "delete", "view")

    def user_has_any_permissions(self, user):
        return any(self.user_has_specific_permission(user, self.get_perm_codename(a)) for a in self.MANAGEMENT_ACTIONS)


class PermittedHistoryView(HistoryView):
    """An object's log, for those who may use its listing.

    wagtail-modeladmin's history view asks for no permission: any user of the admin (a page
    editor) could read any object's log, a referral's reference included, given its id."""

    def check_action_permitted(self, user):
        return self.permission_helper.user_has_any_permissions(user)


class ProtectedDeleteView(DeleteView):
    """Deleting an object that referrals still refer to is refused with a clear message.

    wagtail-modeladmin lists the protecting rows through their reverse accessors, which the case
    models do not have (`related_name="+"`): it failed with a server error instead."""

    def post(self, request, *args, **kwargs):
        try:
            Collector(using=router.db_for_write(self.model)).collect([self.instance])
        except ProtectedError:
            messages.error(
                request,
                _("%(object)s cannot be deleted: referrals refer to it. Nothing was changed.")
                % {"object": self.instance},
            )
            return redirect(self.index_url)
        return super().post(request, *args, **kwargs)


class OrganisationInspectView(InspectView):
    def get_field_label(self, field_name, field=None):
        return capfirst(super().get_field_label(field_name, field))

    def get_field_display_value(self, field_name, field=None):
        value = super().get_field_display_value(field_name, field)
        return yesno(value, _("Yes,No")) if isinstance(value, bool) else value

    def get_context_data(self, **kwargs):
        designations = self.instance.contact_points.select_related("user").order_by("-role", "-active_from")
        return super().get_context_data(
            contact_points=designations,
            add_contact_point_url=self.model_admin.contact_point_create_url(self.instance),
            can_add_contact_point=self.request.user.has_perm("vse_referrals.add_contactpoint"),
            **kwargs,
        )


class OrganisationAdmin(ModelAdmin):
    model = Organisation
    history_view_class = PermittedHistoryView
    delete_view_class = ProtectedDeleteView
    menu_label = _("Organisations")
    menu_icon = "group"
    permission_helper_class = ManagementPermissionHelper
    inspect_view_enabled = True
    inspect_view_class = OrganisationInspectView
    inspect_template_name = "vse_referrals/modeladmin/organisation_inspect.html"
    index_template_name = INDEX_TEMPLATE
    inspect_view_fields = ["name", "country", "languages", "accepts_referrals", "capacity_status"]
    list_display = ("name", "country_name", "accepts_referrals", "capacity_status", "current_contact_points")
    list_filter = (("country", CountryFilter), "accepts_referrals", "capacity_status")
    search_fields = ("name",)
    list_export = ("name", "country", "accepts_referrals", "capacity_status")
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("country"),
            FieldRowPanel([FieldPanel("accepts_referrals"), FieldPanel("capacity_status")]),
            FieldPanel("languages"),
        ],
        base_form_class=OrganisationForm,
    )

    def get_queryset(self, request):
        # "primary" sorts after "deputy": descending puts the primary point of contact first.
        current = ContactPoint.objects.not_ended().select_related("user").order_by("-role", "active_from")
        return (
            super()
            .get_queryset(request)
            .prefetch_related(Prefetch("contact_points", queryset=current, to_attr="current_designations"))
        )

    @staticmethod
    def contact_point_create_url(organisation):
        return f"{reverse('vse_referrals_contactpoint_modeladmin_create')}?organisation={organisation.pk}"

    def country_name(self, obj):
        return obj.country.name

    country_name.short_description = _("Country")
    country_name.admin_order_field = "country"

    def current_contact_points(self, obj):
        designations = ((d.user_display, d.get_role_display(), d.status_label) for d in obj.current_designations)
        return format_html_join(", ", "{} ({}, {})", designations) or _("None designated")

    current_contact_points.short_description = _("Contact points")


class DesignationMessagesMixin:
    """After saving a designation, say when it awaits confirmation, and warn when the designated
    user cannot reach the admin at all."""

    def get_form_kwargs(self):
        # The form saves through `designations`, which records the request's actor in the audit log.
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form):
        response = super().form_valid(form)
        saved = form.saved  # the edited designation, or its extension saved apart (designations.change)
        edited = getattr(self, "instance_pk", None)
        if edited is not None and str(saved.pk) != str(edited):
            messages.warning(
                self.request,
                _(
                    "The extension of %(user)s's designation until %(until)s awaits a second person's "
                    "confirmation: the member's primary point of contact or another network administrator. "
                    "Until then the designation stays in force until %(end)s."
                )
                % {
                    "user": saved.user_display,
                    "until": format_moment(saved.active_until) if saved.active_until else _("no end date"),
                    "end": format_moment(saved.active_from),
                },
            )
        elif not saved.is_confirmed:
            messages.warning(
                self.request,
                _(
                    "%(user)s cannot act for %(organisation)s until a second person confirms this designation: "
                    "the member's primary point of contact or another network administrator. "
                    "The member's points of contact and the network administrators were told by e-mail."
                )
                % {"user": saved.user_display, "organisation": saved.organisation},
            )
        if not self.instance.user.has_perm("wagtailadmin.access_admin"):
            messages.warning(
                self.request,
                _(
                    "%(user)s cannot log in to the intranet admin yet: give their account the "
                    "'Can access Wagtail admin' permission so they can use the referral system."
                )
                % {"user": self.instance.user_display},
            )
        return response


class ContactPointCreateView(DesignationMessagesMixin, CreateView):
    def get_initial(self):
        organisation_id = self.request.GET.get("organisation", "")
        organisation = Organisation.objects.filter(pk=organisation_id).first() if organisation_id.isdigit() else None
        return {"organisation": organisation} if organisation else {}


class ContactPointEditView(DesignationMessagesMixin, EditView):
    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if two_factor.user_has_device(self.instance.user):
            context["reset_two_factor_url"] = self.url_helper.get_action_url("reset_two_factor", self.pk_quoted)
        if designations.may_confirm(permissions.actor_for(self.request), self.instance):
            context["confirm_url"] = self.url_helper.get_action_url("confirm", self.pk_quoted)
        return context


class ContactPointDeleteView(DeleteView):
    def delete_instance(self):
        designations.remove(self.instance, by=self.request.user, request=self.request)

    def post(self, request, *args, **kwargs):
        try:
            return super().post(request, *args, **kwargs)
        except ValidationError as refusal:
            messages.error(request, " ".join(refusal.messages))
            return redirect(self.index_url)


class ConfirmDesignationView(ConfirmDesignationFlow, InstanceSpecificView):
    """A network administrator confirms a designation another person proposed (four eyes)."""

    page_title = _("Confirm designation")
    template_name = "vse_referrals/modeladmin/confirm_designation.html"

    def check_action_permitted(self, user):
        return designations.is_network_administrator(user)

    @property
    def designation_to_confirm(self):
        return self.instance

    def done_url(self):
        return self.index_url

    def again_url(self):
        return self.url_helper.get_action_url("confirm", self.pk_quoted)


class ContactPointButtonHelper(ButtonHelper):
    """A "Confirm" button on the rows of designations the user may confirm."""

    def get_buttons_for_obj(self, obj, *args, **kwargs):
        buttons = super().get_buttons_for_obj(obj, *args, **kwargs)
        if designations.may_confirm(permissions.actor_for(self.request), obj):
            buttons.insert(
                0,
                {
                    "url": self.url_helper.get_action_url("confirm", obj.pk),
                    "label": _("Confirm"),
                    "classname": self.finalise_classname(["button-small"]),
                    "title": _("Confirm the designation of %(user)s") % {"user": obj.user_display},
                },
            )
        return buttons


class ConfirmationFilter(SimpleListFilter):
    title = _("confirmation")
    parameter_name = "confirmation"

    def lookups(self, request, model_admin):
        return [("pending", _("Awaiting confirmation")), ("confirmed", _("Confirmed"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.pending()
        if self.value() == "confirmed":
            return queryset.confirmed()
        return queryset


class ResetTwoFactorView(InstanceSpecificView):
    """A network administrator resets the two-step verification of a point of contact who lost
    their phone and backup codes: after a confirmation, the user sets it up at their next sign-in."""

    page_title = _("Reset two-step verification")
    template_name = "vse_referrals/modeladmin/reset_two_factor.html"

    def check_action_permitted(self, user):
        return self.permission_helper.user_can_edit_obj(user, self.instance)

    def post(self, request, *args, **kwargs):
        two_factor.reset(self.instance.user, request=request)
        messages.success(
            request,
            _(
                "Two-step verification of %(user)s reset: they set it up again at their next sign-in, "
                "and were told by e-mail."
            )
            % {"user": self.instance.user_display},
        )
        return redirect(self.edit_url)


class ContactPointAdmin(ModelAdmin):
    model = ContactPoint
    history_view_class = PermittedHistoryView
    menu_label = _("Contact points")
    menu_icon = "user"
    permission_helper_class = ManagementPermissionHelper
    create_view_class = ContactPointCreateView
    edit_view_class = ContactPointEditView
    delete_view_class = ContactPointDeleteView
    button_helper_class = ContactPointButtonHelper
    edit_template_name = "vse_referrals/modeladmin/contactpoint_edit.html"
    index_template_name = INDEX_TEMPLATE
    list_display = (
        "user_name",
        "organisation",
        "role",
        "status",
        "active_from_display",
        "active_until_display",
        "organisation_country",
    )
    list_filter = (("organisation__country", CountryFilter), "role", ConfirmationFilter)
    search_fields = ("user__first_name", "user__last_name", "user__email", "user__username", "organisation__name")
    edit_handler = ObjectList(
        [
            FieldPanel("organisation"),
            FieldPanel("user"),
            FieldPanel("role"),
            FieldRowPanel([FieldPanel("active_from"), FieldPanel("active_until")]),
        ],
        base_form_class=ContactPointForm,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "organisation")

    def get_admin_urls_for_registration(self):
        return super().get_admin_urls_for_registration() + (
            re_path(
                self.url_helper.get_action_url_pattern("reset_two_factor"),
                self.reset_two_factor_view,
                name=self.url_helper.get_action_url_name("reset_two_factor"),
            ),
            re_path(
                self.url_helper.get_action_url_pattern("confirm"),
                self.confirm_view,
                name=self.url_helper.get_action_url_name("confirm"),
            ),
        )

    def reset_two_factor_view(self, request, instance_pk):
        return ResetTwoFactorView.as_view(model_admin=self, instance_pk=instance_pk)(request)

    def confirm_view(self, request, instance_pk):
        return ConfirmDesignationView.as_view(model_admin=self, instance_pk=instance_pk)(request)

    def user_name(self, obj):
        return obj.user_display

    user_name.short_description = _("User")
    user_name.admin_order_field = "user__last_name"

    def organisation_country(self, obj):
        return obj.organisation.country.name

    organisation_country.short_description = _("Country")
    organisation_country.admin_order_field = "organisation__country"

    def status(self, obj):
        return obj.status_label

    status.short_description = _("Status")

    def active_from_display(self, obj):
        return format_moment(obj.active_from)

    active_from_display.short_description = ContactPoint._meta.get_field("active_from").verbose_name
    active_from_display.admin_order_field = "active_from"

    def active_until_display(self, obj):
        return format_moment(obj.active_until) or _("No end date")

    active_until_display.short_description = ContactPoint._meta.get_field("active_until").verbose_name
    active_until_display.admin_order_field = "active_until"


class OverviewPermissionHelper(PermissionHelper):
    """The VSE office sees referral metadata in a listing; no view of a case exists for it."""

    def user_has_any_permissions(self, user):
        return user.has_perm("vse_referrals.view_referral_metadata")

    def user_can_create(self, user):
        return False

    def user_can_inspect_obj(self, user, obj):
        return False

    def user_can_edit_obj(self, user, obj):
        return False

    def user_can_delete_obj(self, user, obj):
        return False


class SideCountryFilter(CountryFilter):
    """A country filter with its own title (Django's field filters take the field's name)."""

    side_title = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = self.side_title


class FromCountryFilter(SideCountryFilter):
    side_title = _("country of the referring member")


class ToCountryFilter(SideCountryFilter):
    side_title = _("country of the receiving member")


def _local_time_column(name):
    """An export column: the case's `name` time in the site's time zone (spreadsheets keep no zone)."""

    def column(self, case):
        when = getattr(case, name)
        return timezone.localtime(when).replace(tzinfo=None, microsecond=0) if when else ""

    column.short_description = ReferralCase._meta.get_field(name).verbose_name
    return column


def overview_cases(cases):
    """The referrals the VSE office's overview shows: metadata columns only (nothing is loaded, let
    alone decrypted), never a draft."""
    return (
        cases.metadata().exclude(status=Status.DRAFT).select_related("sending_organisation", "receiving_organisation")
    )


class OverviewInstanceMixin:
    """A view of one referral of the overview resolves it as the overview does (`overview_cases`).

    wagtail-modeladmin loads the instance through the model's default manager before any
    permission check: every column (the victim's data, decrypted) and drafts too."""

    def __init__(self, model_admin, instance_pk):
        WMABaseView.__init__(self, model_admin)  # InstanceSpecificView's lookup is the one replaced
        self.instance_pk = unquote(instance_pk)
        self.pk_quoted = quote(self.instance_pk)
        try:
            self.instance = overview_cases(ReferralCase.objects.filter(pk=self.instance_pk)).get()
        except (ReferralCase.DoesNotExist, ValidationError) as missing:
            raise Http404 from missing


class OverviewHistoryView(OverviewInstanceMixin, PermittedHistoryView):
    pass


class OverviewEditView(OverviewInstanceMixin, EditView):
    pass


class OverviewDeleteView(OverviewInstanceMixin, DeleteView):
    pass


class ReferralOverviewAdmin(ModelAdmin):
    model = ReferralCase
    history_view_class = OverviewHistoryView
    edit_view_class = OverviewEditView
    delete_view_class = OverviewDeleteView
    menu_label = _("Referral overview")
    menu_icon = "list-ul"
    permission_helper_class = OverviewPermissionHelper
    index_template_name = INDEX_TEMPLATE
    # What tells referrals apart first: on a phone the table scrolls, and these show before it does.
    list_display = ("reference", "priority", "status", "deadline", "from_organisation", "to_organisation", "sent")
    list_filter = (
        "status",
        "priority",
        ("sending_organisation__country", FromCountryFilter),
        ("receiving_organisation__country", ToCountryFilter),
    )
    search_fields = ("reference",)
    # The spreadsheet says what the page says: labels, and times in the site's time zone.
    list_export = (
        "reference",
        "from_organisation",
        "to_organisation",
        "priority_label",
        "status_label",
        "export_sent_at",
        "export_respond_by",
        "export_answered_at",
        "export_victim_contacted_at",
        "export_closed_at",
    )
    list_per_page = 50

    def get_queryset(self, request):
        return overview_cases(super().get_queryset(request))

    def from_organisation(self, case):
        return case.sending_organisation.name_with_country

    from_organisation.short_description = _("From")
    from_organisation.admin_order_field = "sending_organisation__name"

    def to_organisation(self, case):
        return case.receiving_organisation.name_with_country

    to_organisation.short_description = _("To")
    to_organisation.admin_order_field = "receiving_organisation__name"

    def sent(self, case):
        return format_day(case.sent_at)

    sent.short_description = _("Sent")
    sent.admin_order_field = "sent_at"

    def deadline(self, case):
        _clock, when = case.active_deadline()
        if not when:
            return ""
        text = format_moment(when)
        return format_html("<strong>{}</strong> {}", _("Overdue"), text) if case.is_overdue else text

    deadline.short_description = _("Deadline")

    def priority_label(self, case):
        return case.get_priority_display()

    priority_label.short_description = _("Priority")

    def status_label(self, case):
        return case.get_status_display()

    status_label.short_description = _("Status")

    export_sent_at = _local_time_column("sent_at")
    export_respond_by = _local_time_column("respond_by")
    export_answered_at = _local_time_column("answered_at")
    export_victim_contacted_at = _local_time_column("victim_contacted_at")
    export_closed_at = _local_time_column("closed_at")


class ReferralNetworkAdminGroup(ModelAdminGroup):
    menu_label = _("Referral network")
    menu_icon = "site"
    menu_order = 250
    items = (OrganisationAdmin, ContactPointAdmin, ReferralOverviewAdmin)
