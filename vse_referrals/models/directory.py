"""The public member directory: a directory page and one profile page per member.

Editors maintain profiles as Wagtail pages; each profile has services (with the seven mapping
dimensions of DESIGN.md section 1), locations and helplines. A location's visibility decides
what of it may ever leave the database: `MemberLocation.public_view()` is the only way pages,
the map data and the exports read a location.
"""

import uuid
from datetime import timedelta

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import include, path
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.fields import RichTextField
from wagtail.models import Orderable, Page, PageManager, TranslatableMixin
from wagtail.query import PageQuerySet
from wagtail.search import index
from wagtail_localize.fields import SynchronizedField

from .. import conf
from .organisations import CapacityStatus

STALE_AFTER = timedelta(days=365)


def stale_cutoff():
    """Profiles last verified before this day (or never) are due for verification."""
    return timezone.localdate() - STALE_AFTER


class MemberOrganisationPageQuerySet(PageQuerySet):
    def stale(self):
        return self.filter(models.Q(last_verified__isnull=True) | models.Q(last_verified__lt=stale_cutoff()))

    def originals(self):
        """One page per profile, for lists of profiles rather than of pages: its version in the
        default language, or, for a profile written in another language only, that version.
        Aliases and translations are the other languages' views of the same profile."""
        default = models.Q(locale__language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))
        in_default = MemberOrganisationPage.objects.filter(default).values("translation_key")
        return self.filter(alias_of__isnull=True).exclude(~default & models.Q(translation_key__in=in_default))


CHECKBOXES = forms.CheckboxSelectMultiple
# About a hundred languages: a scrolling box in columns (styles in static/vse_referrals/css/admin.css).
LANGUAGE_CHECKBOXES = forms.CheckboxSelectMultiple(attrs={"class": "vse-scroll-list"})


class Region(models.TextChoices):
    """Sub-national members shown as markers on the map (ISO 3166-2)."""

    ENGLAND = "GB-ENG", _("England")
    SCOTLAND = "GB-SCT", _("Scotland")
    WALES = "GB-WLS", _("Wales")
    NORTHERN_IRELAND = "GB-NIR", _("Northern Ireland")


class PublicPageMixin:
    """What every public directory page offers: the quick exit, the page in the other languages it
    is published in, and whether it is shown in its original language for want of a translation."""

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["quick_exit_url"] = conf.get("QUICK_EXIT_URL")
        context["language_links"] = self.language_links(request)
        context["original_language"] = self.original_language()
        return context

    def language_links(self, request):
        """This page in each language it is live in, named in that language (Django's LANG_INFO),
        keeping the query string: the directory's filters are codes, the same in every language."""
        query = f"?{request.GET.urlencode()}" if request.GET else ""
        pages = self.get_translations(inclusive=True).live().public().select_related("locale")
        links = [
            {
                "code": page.locale.language_code,
                "name": translation.get_language_info(page.locale.language_code)["name_local"],
                "url": page.get_url(request) + query,
                "current": page.pk == self.pk,
            }
            for page in pages.order_by("locale__language_code")
        ]
        return links if len(links) > 1 else []

    def original_language(self):
        """The language of the content shown, when this page is a not-yet-translated stand-in (an
        alias wagtail-localize keeps in another language's tree) of a page in another language."""
        if not self.alias_of_id:
            return None
        original = Page.objects.select_related("locale").only("locale__language_code").get(pk=self.alias_of_id)
        if original.locale_id == self.locale_id:
            return None
        return {
            "code": original.locale.language_code,
            "name": translation.get_language_info(original.locale.language_code)["name_translated"],
        }


class MemberDirectoryPage(PublicPageMixin, RoutablePageMixin, Page):
    intro = RichTextField(_("introduction"), blank=True, features=["bold", "italic", "link", "ul", "ol"])

    content_panels = Page.content_panels + [FieldPanel("intro")]
    subpage_types = ["vse_referrals.MemberOrganisationPage"]

    template = "vse_referrals/directory/member_directory_page.html"
    # The page itself and its Open Referral API under api/ are served by views, a layer above the
    # models: their URL module is named here, not imported, as Django's include() allows.
    subpage_urlconf = "vse_referrals.directory_urls"

    class Meta:
        verbose_name = _("member directory")

    @classmethod
    def get_subpage_urls(cls):
        return (path("", include(cls.subpage_urlconf)),)

    @classmethod
    def reserved_slugs(cls):
        """First segments of the page's own routes: a profile with such a slug would be unreachable."""
        (routes,) = cls.get_subpage_urls()
        return {str(route.pattern).split("/")[0] for route in routes.url_patterns} - {""}


class MemberOrganisationPage(PublicPageMixin, Page):
    hsds_id = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    # One profile per organisation, in as many languages as it is translated into (see `clean`).
    organisation = models.ForeignKey(
        "vse_referrals.Organisation",
        verbose_name=_("organisation in the referral system"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_pages",
        help_text=_("Link the profile to its referral-system organisation so points of contact can refer to it."),
    )
    objects = PageManager.from_queryset(MemberOrganisationPageQuerySet)()
    country = CountryField(_("country"))
    region = models.CharField(
        _("region"), max_length=6, choices=Region.choices, blank=True, help_text=_("For members of one UK nation.")
    )
    summary = models.TextField(_("summary"), max_length=400, help_text=_("One or two sentences shown in lists."))
    description = RichTextField(_("description"), blank=True, features=["bold", "italic", "link", "ul", "ol", "h3"])
    website = models.URLField(_("website"), blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    languages = ParentalManyToManyField("vse_referrals.Language", verbose_name=_("languages"), blank=True)
    last_verified = models.DateField(
        _("last verified"), null=True, blank=True, help_text=_("When the member last confirmed this profile.")
    )

    content_panels = Page.content_panels + [
        FieldPanel("summary"),
        FieldPanel("description"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("country"), FieldPanel("region")]), FieldPanel("organisation")],
            heading=_("Where and who"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("website"), FieldPanel("email")]),
                FieldPanel("logo"),
                FieldPanel("languages", widget=LANGUAGE_CHECKBOXES),
            ],
            heading=_("Contact"),
        ),
        InlinePanel("services", heading=_("Services"), label=_("Service")),
        InlinePanel("helplines", heading=_("Helplines"), label=_("Helpline")),
        InlinePanel("locations", heading=_("Locations"), label=_("Location")),
        FieldPanel("last_verified"),
    ]
    search_fields = Page.search_fields + [
        index.SearchField("summary"),
        index.SearchField("description"),
        index.RelatedFields("services", [index.SearchField("name"), index.SearchField("description")]),
        index.FilterField("country"),
    ]
    parent_page_types = ["vse_referrals.MemberDirectoryPage"]
    subpage_types = []

    template = "vse_referrals/directory/member_organisation_page.html"

    class Meta:
        verbose_name = _("member profile")

    def clean(self):
        super().clean()
        if (
            self.organisation_id
            and MemberOrganisationPage.objects.filter(organisation=self.organisation_id)
            .exclude(translation_key=self.translation_key)
            .exists()
        ):
            raise ValidationError({"organisation": _("This organisation already has a profile in the directory.")})
        if self.slug in MemberDirectoryPage.reserved_slugs():
            raise ValidationError(
                {
                    "slug": _("The directory's data API uses the address “%(slug)s”: choose another slug.")
                    % {"slug": self.slug}
                }
            )

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["public_locations"] = self.public_locations()
        return context

    def copy(self, *args, reset_translation_key=True, update_attrs=None, process_child_object=None, **kwargs):
        """A translation (or an alias in another language's tree) keeps the HSDS ids: the API of each
        language serves the same records. A plain copy is another member: new ids throughout."""
        if reset_translation_key:
            update_attrs = {**(update_attrs or {}), "hsds_id": uuid.uuid4()}
            process_child_object = _with_new_hsds_id(process_child_object)
        return super().copy(
            *args,
            reset_translation_key=reset_translation_key,
            update_attrs=update_attrs,
            process_child_object=process_child_object,
            **kwargs,
        )

    copy.alters_data = True

    @property
    def is_stale(self):
        """The instance form of `MemberOrganisationPageQuerySet.stale`."""
        return self.last_verified is None or self.last_verified < stale_cutoff()

    @property
    def capacity_status(self):
        """Whether the member takes on new victims: what its organisation reports in the referral
        system (the only place it is edited), or None for a profile linked to no organisation."""
        return CapacityStatus(self.organisation.capacity_status) if self.organisation_id else None

    @property
    def area_code(self):
        """Where the member sits on the map: its UK nation, or its country."""
        return self.region or self.country.code

    def public_locations(self):
        return [view for view in (location.public_view() for location in self.locations.all()) if view]


def _with_new_hsds_id(process_child_object):
    """Wagtail's copy hook for child objects (services, locations...), giving each a new HSDS id."""

    def process(original_page, page_copy, child_relation, child_object):
        if hasattr(child_object, "hsds_id"):
            child_object.hsds_id = uuid.uuid4()
        if process_child_object:
            process_child_object(original_page, page_copy, child_relation, child_object)

    return process


class MemberService(TranslatableMixin, ClusterableModel, Orderable):
    """A service and the seven dimensions VSE maps for each (DESIGN.md section 1)."""

    page = ParentalKey(MemberOrganisationPage, on_delete=models.CASCADE, related_name="services")
    hsds_id = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    # 1. Forms of assistance and support.
    assistance_forms = ParentalManyToManyField(
        "vse_referrals.AssistanceForm", verbose_name=_("forms of assistance"), blank=True
    )
    # 2. Types of victims supported.
    victim_types = ParentalManyToManyField("vse_referrals.VictimType", verbose_name=_("types of victims"), blank=True)
    # 3. How victims are informed about the service.
    outreach_channels = ParentalManyToManyField(
        "vse_referrals.OutreachChannel", verbose_name=_("how victims are informed"), blank=True
    )
    # 4. Ways victims can get assistance.
    access_channels = ParentalManyToManyField(
        "vse_referrals.AccessChannel", verbose_name=_("ways to get assistance"), blank=True
    )
    # 5. Capacity: how much the service takes on. Whether the member takes on new victims now is
    # its organisation's `capacity_status` (one field, see MemberOrganisationPage.capacity_status).
    capacity_notes = models.CharField(
        _("capacity details"), max_length=255, blank=True, help_text=_("For example: about 500 people a year.")
    )
    # 6. Paid staff, volunteers and their training.
    paid_staff = models.PositiveIntegerField(_("paid staff"), null=True, blank=True)
    volunteers = models.PositiveIntegerField(_("volunteers"), null=True, blank=True)
    training = models.TextField(_("training of staff and volunteers"), blank=True)
    # 7. Financing.
    funding_sources = ParentalManyToManyField("vse_referrals.FundingSource", verbose_name=_("financing"), blank=True)
    funding_notes = models.CharField(_("financing details"), max_length=255, blank=True)

    countries_served = CountryField(_("countries served"), multiple=True, blank=True)
    languages = ParentalManyToManyField("vse_referrals.Language", verbose_name=_("languages"), blank=True)
    open_24_7 = models.BooleanField(_("open 24/7"), default=False)
    free_of_charge = models.BooleanField(_("free of charge"), default=True)
    accessibility = ParentalManyToManyField(
        "vse_referrals.AccessibilityFeature", verbose_name=_("accessibility"), blank=True
    )
    eligibility = models.TextField(_("who can use it"), blank=True)

    panels = [
        FieldPanel("name"),
        FieldPanel("description"),
        FieldPanel("assistance_forms", widget=CHECKBOXES),
        FieldPanel("victim_types", widget=CHECKBOXES),
        MultiFieldPanel([FieldPanel("outreach_channels", widget=CHECKBOXES)], heading=_("How victims are informed")),
        FieldPanel("access_channels", widget=CHECKBOXES),
        FieldPanel("capacity_notes"),
        FieldRowPanel([FieldPanel("paid_staff"), FieldPanel("volunteers")]),
        FieldPanel("training"),
        FieldPanel("funding_sources", widget=CHECKBOXES),
        FieldPanel("funding_notes"),
        FieldPanel("countries_served"),
        FieldPanel("languages", widget=LANGUAGE_CHECKBOXES),
        FieldRowPanel([FieldPanel("open_24_7"), FieldPanel("free_of_charge")]),
        FieldPanel("accessibility", widget=CHECKBOXES),
        FieldPanel("eligibility"),
    ]

    # Translatable: wagtail-localize translates the texts of a profile's inline objects only then.
    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self):
        return self.name


class MemberHelpline(TranslatableMixin, ClusterableModel, Orderable):
    page = ParentalKey(MemberOrganisationPage, on_delete=models.CASCADE, related_name="helplines")
    label = models.CharField(_("label"), max_length=120, help_text=_("For example: National helpline for victims."))
    number = models.CharField(_("number"), max_length=40, help_text=_("As dialled in the country, e.g. 116 006."))
    free = models.BooleanField(_("free to call"), default=True)
    open_24_7 = models.BooleanField(_("open 24/7"), default=False)
    hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    languages = ParentalManyToManyField("vse_referrals.Language", verbose_name=_("languages"), blank=True)

    # A number is dialled the same in every language: copied to the translations, never translated.
    override_translatable_fields = [SynchronizedField("number")]

    panels = [
        FieldRowPanel([FieldPanel("label"), FieldPanel("number")]),
        FieldRowPanel([FieldPanel("free"), FieldPanel("open_24_7")]),
        FieldPanel("hours"),
        FieldPanel("languages", widget=LANGUAGE_CHECKBOXES),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("helpline")
        verbose_name_plural = _("helplines")

    def __str__(self):
        return f"{self.label}: {self.number}"

    @property
    def tel_href(self):
        return "tel:" + "".join(ch for ch in self.number if ch.isdigit() or ch == "+")

    def facts(self):
        """When, at what cost and in which languages: the short texts shown after the number."""
        when = _("24/7") if self.open_24_7 else self.hours
        languages = ", ".join(str(language) for language in self.languages.all())
        return [str(fact) for fact in (when, _("free to call") if self.free else "", languages) if fact]


class LocationVisibility(models.TextChoices):
    EXACT = "exact", _("Show the full address")
    CITY = "city", _("Show the city only")
    HIDDEN = "hidden", _("Hidden (e.g. a shelter): never published")


class MemberLocation(TranslatableMixin, Orderable):
    page = ParentalKey(MemberOrganisationPage, on_delete=models.CASCADE, related_name="locations")
    hsds_id = models.UUIDField(default=uuid.uuid4, db_index=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    address = models.CharField(_("street address"), max_length=255, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    city = models.CharField(_("city"), max_length=100)
    country = CountryField(_("country"))
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5, null=True, blank=True)
    visibility = models.CharField(
        _("visibility"),
        max_length=10,
        choices=LocationVisibility.choices,
        default=LocationVisibility.CITY,
        help_text=_("Shelters and safe houses must stay hidden: their address never reaches a page or an export."),
    )

    # Only the name is translated. The address is copied as it is: an address is not translated,
    # and a hidden shelter's never enters wagtail-localize's strings, PO files or translation memory.
    override_translatable_fields = [
        SynchronizedField("address"),
        SynchronizedField("postal_code"),
        SynchronizedField("city"),
    ]

    class Meta(TranslatableMixin.Meta, Orderable.Meta):
        verbose_name = _("location")
        verbose_name_plural = _("locations")

    def __str__(self):
        return self.name

    def public_view(self):
        """What may be published of this location, or None when nothing may."""
        if self.visibility == LocationVisibility.HIDDEN:
            return None
        view = {
            "id": self.hsds_id,
            "name": self.name,
            "city": self.city,
            "country": self.country,
            "address": "",
            "postal_code": "",
            "latitude": None,
            "longitude": None,
        }
        if self.visibility == LocationVisibility.EXACT:
            view.update(
                address=self.address, postal_code=self.postal_code, latitude=self.latitude, longitude=self.longitude
            )
        return view
