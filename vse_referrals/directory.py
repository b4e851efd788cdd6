"""Finding services in the member directory: the filters, the results and the map's figures.

Filters live in the URL (GET), so a filtered view can be shared. The same query feeds the
accessible list, the SVG map and the map's JSON, and its number of queries does not depend on
the number of members.
"""

from django import forms
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from django_countries import countries

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

SERVICE_RELATIONS = ("assistance_forms", "victim_types", "access_channels", "languages", "accessibility")


class TermChoiceField(forms.ModelChoiceField):
    """A vocabulary term chosen by its stable code, so URLs stay readable and shareable."""

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
    victim_type = TermChoiceField(VictimType.objects.all(), label=_("Type of victim"), empty_label=_("All victims"))
    assistance = TermChoiceField(AssistanceForm.objects.all(), label=_("Kind of help"), empty_label=_("Any help"))
    access = TermChoiceField(AccessChannel.objects.all(), label=_("How to get help"), empty_label=_("Any way"))
    language = TermChoiceField(
        Language.objects.filter(memberservice__isnull=False).distinct(),
        label=_("Language"),
        empty_label=_("Any language"),
    )
    accessibility = TermChoiceField(
        AccessibilityFeature.objects.all(), label=_("Accessibility"), empty_label=_("No requirement")
    )
    open_24_7 = forms.BooleanField(label=_("Open 24/7"), required=False)

    def __init__(self, *args, area_codes=(), **kwargs):
        super().__init__(*args, **kwargs)
        names = dict(countries) | dict(Region.choices)
        choices = sorted(((code, str(names.get(code, code))) for code in area_codes), key=lambda item: item[1])
        self.fields["country"].choices = [("", _("All countries")), *choices]

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


def member_pages(directory):
    return MemberOrganisationPage.objects.live().public().child_of(directory)


def bind_filters(directory, data):
    """The filter form bound to `data` (a query string), with the countries this directory has."""
    pages = member_pages(directory)
    # The column holds comma-separated codes ("FR,BE").
    served_rows = MemberService.objects.filter(page__in=pages).values_list("countries_served", flat=True)
    served = {code for row in served_rows for code in row.split(",") if code}
    area_codes = (
        set(pages.values_list("country", flat=True))
        | set(pages.exclude(region="").values_list("region", flat=True))
        | served
    )
    form = DirectoryFilterForm(data or None, area_codes=area_codes)
    form.is_valid()  # cleaned_data holds the valid filters; an invalid one (an old link) is left out
    return form


def apply_filters(directory, form, *, ignore=()):
    """The services matching the form's valid filters, except those named in `ignore`."""
    pages = member_pages(directory)
    services = MemberService.objects.filter(page__in=pages)
    values = {name: value for name, value in getattr(form, "cleaned_data", {}).items() if name not in ignore}
    if values.get("q"):
        matching = [page.pk for page in pages.search(values["q"], operator="and")]
        services = services.filter(Q(page__in=matching) | Q(name__icontains=values["q"]))
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
            services = services.filter(**{relation: values[name]})
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
    for row in services.values("page__country", "page__region").annotate(total=Count("pk", distinct=True)):
        code = row["page__region"] or row["page__country"]
        counts[code] = counts.get(code, 0) + row["total"]
    return counts


def members_with_services(directory, services):
    """Member pages that have matching services, each with only those services prefetched."""
    matching = (
        MemberService.objects.filter(pk__in=services.values("pk"))
        .prefetch_related(*SERVICE_RELATIONS)
        .order_by("sort_order")
    )
    return (
        member_pages(directory)
        .filter(pk__in=services.values("page_id"))
        .order_by("country", "title")
        .prefetch_related(Prefetch("services", queryset=matching, to_attr="matching_services"), "helplines")
    )


def directory_context(directory, request):
    from . import conf
    from .world_map import ATTRIBUTION, TileLayer, render_map

    services, form = filter_services(directory, request.GET)
    selected = getattr(form, "cleaned_data", {}).get("country")
    query = request.GET.copy()
    tiles = TileLayer.from_setting(conf.get("MAP_TILES"))

    def link(code):
        query["country"] = code
        return f"?{query.urlencode()}"

    return {
        "filters": form,
        "members": members_with_services(directory, services),
        "service_count": services.count(),
        "map_svg": render_map(
            map_counts(directory, form),
            selected=selected,
            link=link,
            labels=dict(countries) | dict(Region.choices),
            tiles=tiles,
        ),
        "map_attribution": ATTRIBUTION,
        "map_tiles": tiles,
    }
