"""Finding services in the member directory: the filters, the results and the map's figures.

Filters live in the URL (GET), so a filtered view can be shared. The same query feeds the
accessible list, the SVG map and the map's JSON, and its number of queries does not depend on
the number of members.
"""

from django import forms
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from . import conf
from .models import (
    AccessChannel,
    AccessibilityFeature,
    AssistanceForm,
    Language,
    MemberOrganisationPage,
    MemberService,
    Region,
    VictimType,
)
from .world_map import ATTRIBUTION, TileLayer, render_map

SERVICE_RELATIONS = ("assistance_forms", "victim_types", "access_channels", "languages", "accessibility")


class TermChoiceField(forms.ModelChoiceField):
    """A vocabulary term chosen by its stable code, so URLs stay readable and shareable (the same
    link in every language: a term's translations share its code)."""

    default_error_messages = {
        "invalid_choice": _("This value is not in the list (it may come from an old link): it was left out."),
    }

    def __init__(self, queryset, **kwargs):
        super().__init__(queryset, to_field_name="code", required=False, **kwargs)


class DirectoryFilterForm(forms.Form):
    q = forms.CharField(label=_("Keyword"), required=False, max_length=100)
    country = forms.ChoiceField(
        label=_("Country"),
        required=False,
        error_messages={"invalid_choice": _("No member works in “%(value)s”: showing every country.")},
    )
    # One choice per term (its original), labelled in the active language (see __init__).
    victim_type = TermChoiceField(
        VictimType.objects.originals(), label=_("Type of victim"), empty_label=_("All victims")
    )
    assistance = TermChoiceField(AssistanceForm.objects.originals(), label=_("Kind of help"), empty_label=_("Any help"))
    access = TermChoiceField(AccessChannel.objects.originals(), label=_("How to get help"), empty_label=_("Any way"))
    language = TermChoiceField(
        Language.objects.filter(memberservice__isnull=False).distinct(),
        label=_("Language"),
        empty_label=_("Any language"),
    )
    accessibility = TermChoiceField(
        AccessibilityFeature.objects.originals(), label=_("Accessibility"), empty_label=_("No requirement")
    )
    open_24_7 = forms.BooleanField(label=_("Open 24/7"), required=False)

    def __init__(self, *args, pages, area_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.pages = pages  # the directory's member pages, which the keyword searches
        for name in self.VOCABULARY_FIELDS:
            # Labelled in the request's language: the terms' translations are read for each form.
            self.fields[name].queryset = self.fields[name].queryset.model.objects.originals()
        names = area_names()
        choices = sorted(((code, names.get(code, code)) for code in area_codes), key=lambda item: item[1])
        self.fields["country"].choices = [("", _("All countries")), *choices]

    VOCABULARY_FIELDS = ("victim_type", "assistance", "access", "accessibility")
    # Asked less often: folded under "More filters" (open when one of them is set).
    MORE = ("access", "accessibility", "open_24_7")

    def main_fields(self):
        return [self[name] for name in self.fields if name not in self.MORE]

    def more_fields(self):
        return [self[name] for name in self.MORE]

    def more_in_use(self):
        return any(self.data.get(name) for name in self.MORE)

    @property
    def active(self):
        return self.is_valid() and any(value not in (None, "", False) for value in self.cleaned_data.values())

    @cached_property
    def keyword_matches(self):
        """Ids of the member pages Wagtail search finds for the keyword: searched once, although the
        list and the map both filter by it, and not ranked (ranking every match costs more than the search)."""
        found = self.pages.search(self.cleaned_data["q"], operator="and", order_by_relevance=False)
        return [page.pk for page in found]


def area_names():
    """Names of the map's areas in the active language: django-countries' and the UK nations'."""
    return {code: str(name) for code, name in [*countries, *Region.choices]}


def member_pages(directory):
    return MemberOrganisationPage.objects.live().public().child_of(directory)


def distinct_values(queryset, field):
    """The distinct values of `field`: as many rows as values, however many members share them."""
    return set(queryset.order_by().values_list(field, flat=True).distinct())


def bind_filters(directory, data):
    """The filter form bound to `data` (a query string), with the countries this directory has."""
    pages = member_pages(directory)
    # The column holds comma-separated codes ("FR,BE").
    served_rows = distinct_values(MemberService.objects.filter(page__in=pages), "countries_served")
    served = {code for row in served_rows for code in row.split(",") if code}
    area_codes = distinct_values(pages, "country") | distinct_values(pages.exclude(region=""), "region") | served
    form = DirectoryFilterForm(data or None, pages=pages, area_codes=area_codes)
    form.is_valid()  # cleaned_data holds the valid filters; an invalid one (an old link) is left out
    return form


def apply_filters(directory, form, *, ignore=()):
    """The services matching the form's valid filters, except those named in `ignore`."""
    pages = member_pages(directory)
    services = MemberService.objects.filter(page__in=pages)
    values = {name: value for name, value in getattr(form, "cleaned_data", {}).items() if name not in ignore}
    if values.get("q"):
        services = services.filter(Q(page__in=form.keyword_matches) | Q(name__icontains=values["q"]))
    if values.get("country"):
        code = values["country"]
        if code in Region.values:
            services = services.filter(page__region=code)
        else:
            services = services.filter(Q(page__country=code) | Q(countries_served__contains=code))
    for name, relation in (
        ("victim_type", "victim_types"),
        ("assistance", "assistance_forms"),
        ("access", "access_channels"),
        ("language", "languages"),
        ("accessibility", "accessibility"),
    ):
        if values.get(name):
            # By code: a translated profile's services may link the terms' translations.
            services = services.filter(**{f"{relation}__code": values[name].code})
    if values.get("open_24_7"):
        services = services.filter(open_24_7=True)
    return services.distinct()


def filter_services(directory, data):
    """(services matching the valid filters of `data`, the bound form)."""
    form = bind_filters(directory, data)
    return apply_filters(directory, form), form


def map_counts(directory, form):
    """The map's figures: services per area for every filter but the country, so that the map
    stays a way to choose another country once one is chosen."""
    return area_counts(apply_filters(directory, form, ignore=("country",)))


def area_counts(services):
    """Matching services per map area: a UK nation, or a country."""
    counts = {}
    # Without the services' default ordering (sort_order), which would split the groups.
    grouped = services.order_by().values("page__country", "page__region")
    for row in grouped.annotate(total=Count("pk", distinct=True)):
        code = row["page__region"] or row["page__country"]
        counts[code] = counts.get(code, 0) + row["total"]
    return counts


def matching_members(directory, services):
    """Member pages that have matching services, in the order of the list (by country, then name)."""
    return member_pages(directory).filter(pk__in=services.values("page_id")).order_by("country", "title", "pk")


def members_with_services(directory, services):
    """`matching_members`, each with only its matching services prefetched. The prefetches run
    for the rows fetched: slice (paginate) first, and they cost one page, not every member."""
    matching = (
        MemberService.objects.filter(pk__in=services.values("pk"))
        .prefetch_related(*SERVICE_RELATIONS)
        .order_by("sort_order")
    )
    return matching_members(directory, services).prefetch_related(
        Prefetch("services", queryset=matching, to_attr="matching_services"), "helplines"
    )


def directory_context(directory, request):
    """The directory page's filters, one page of members and the map of every matching member."""
    services, form = filter_services(directory, request.GET)
    selected = getattr(form, "cleaned_data", {}).get("country")
    paginator = Paginator(members_with_services(directory, services), conf.get("DIRECTORY_PAGE_SIZE"))
    # A page number from an old link or a typo: the first page, or the last one when past the end.
    members = paginator.get_page(request.GET.get("page"))
    tiles = TileLayer.from_setting(conf.get("MAP_TILES"))
    query = request.GET.copy()
    query.pop("page", None)  # another country starts on the first page of its own results

    def link(code):
        query["country"] = code
        return f"?{query.urlencode()}"

    return {
        "filters": form,
        "members": members,
        "page_links": paginator.get_elided_page_range(members.number, on_each_side=1, on_ends=1),
        "service_count": services.count(),
        "map_svg": render_map(
            map_counts(directory, form),
            selected=selected,
            link=link,
            labels=area_names(),
            tiles=tiles,
        ),
        "map_attribution": ATTRIBUTION,
        "map_tiles": tiles,
    }
