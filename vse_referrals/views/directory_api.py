"""The machine-readable member directory: an Open Referral HSDS 3.0 API and the map's figures.

Served by routes of `MemberDirectoryPage`, so the API of a directory lists that directory's
live, public member profiles only. List endpoints filter exactly like the public page
(`directory.filter_services`), with the HSDS `search`, `page` and `per_page` parameters.
Everything here is public data; hidden locations never leave the database (see `hsds`).
"""

from functools import wraps

from django.db.models import Prefetch
from django.http import JsonResponse
from django.utils.translation import gettext as _

from .. import hsds
from ..directory import SERVICE_RELATIONS, filter_services, map_counts, matching_members, member_pages
from ..models import MemberService

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
FILTERS = ("country", "victim_type", "assistance", "access", "language", "accessibility", "open_24_7")
FULL_SERVICE_PREFETCH = (
    *SERVICE_RELATIONS,
    "outreach_channels",
    "funding_sources",
    "page__helplines__languages",
    "page__locations",
)


class ApiError(Exception):
    def __init__(self, status, message, **details):
        super().__init__(message)
        self.status = status
        self.payload = {"error": message, **details}


def json_response(payload, status=200):
    response = JsonResponse(payload, status=status, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


def api_view(view):
    """GET only; an `ApiError` becomes its JSON error response."""

    @wraps(view)
    def wrapper(directory, request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            response = json_response({"error": _("Only GET is allowed.")}, status=405)
            response["Allow"] = "GET, HEAD"
            return response
        try:
            return view(directory, request, *args, **kwargs)
        except ApiError as error:
            return json_response(error.payload, status=error.status)

    return wrapper


# Parameters ---------------------------------------------------------------------------------


def positive_int(request, name, default):
    value = request.GET.get(name, "")
    if value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ApiError(400, _("“%(name)s” must be a whole number of 1 or more.") % {"name": name}, parameter=name)
    return number


def is_true(request, name):
    return request.GET.get(name, "").lower() in ("1", "true")


def matching_services(directory, request):
    """(services matching the HSDS search and the directory's filters, the bound form); 400 on bad filters."""
    data = {name: request.GET[name] for name in FILTERS if name in request.GET}
    if "search" in request.GET:
        data["q"] = request.GET["search"]
    services, form = filter_services(directory, data)
    if form.is_bound and not form.is_valid():
        errors = {("search" if name == "q" else name): list(messages) for name, messages in form.errors.items()}
        raise ApiError(400, _("Some filters are not valid."), fields=errors)
    return services, form


def paginated(request, items, serialize):
    page_number = positive_int(request, "page", 1)
    per_page = min(positive_int(request, "per_page", DEFAULT_PER_PAGE), MAX_PER_PAGE)
    try:
        return json_response(hsds.paginate(items, page_number=page_number, per_page=per_page, serialize=serialize))
    except hsds.PageOutOfRange as error:
        message = _("Page %(page)s does not exist: the last page is %(last)s.") % {
            "page": error.number,
            "last": error.last,
        }
        raise ApiError(400, message, parameter="page", total_pages=error.last) from None


def page_url(request):
    """The full URL of a member page at the address the API was asked at (the site's configured
    hostname may be another name for this server); Wagtail caches the site root paths on the request."""
    return lambda page: request.build_absolute_uri(page.get_url(request))


# Views --------------------------------------------------------------------------------------


@api_view
def root(directory, request):
    return json_response(hsds.api_root())


@api_view
def services(directory, request):
    matching, _form = matching_services(directory, request)
    full = is_true(request, "full")
    queryset = (
        MemberService.objects.filter(pk__in=matching.values("pk"))
        .select_related("page__organisation")
        .order_by("page__title", "page_id", "sort_order", "pk")
    )
    if full:
        queryset = queryset.prefetch_related(*FULL_SERVICE_PREFETCH)
    serializer = hsds.service_full if full else hsds.service_summary
    url = page_url(request)
    return paginated(request, queryset, lambda service: serializer(service, url=url(service.page)))


@api_view
def service(directory, request, service_id):
    found = (
        MemberService.objects.filter(page__in=member_pages(directory), hsds_id=service_id)
        .select_related("page__organisation")
        .prefetch_related(*FULL_SERVICE_PREFETCH)
        .first()
    )
    if found is None:
        raise ApiError(404, _("No service with this id."))
    return json_response(hsds.service_full(found, url=page_url(request)(found.page)))


@api_view
def organizations(directory, request):
    matching, form = matching_services(directory, request)
    pages = member_pages(directory)
    if form.active:
        pages = pages.filter(pk__in=matching.values("page_id"))
    url = page_url(request)
    return paginated(
        request, pages.order_by("title", "pk"), lambda page: hsds.organization_summary(page, url=url(page))
    )


@api_view
def organization(directory, request, organization_id):
    found = (
        member_pages(directory)
        .filter(hsds_id=organization_id)
        .prefetch_related(
            "helplines__languages",
            "locations",
            Prefetch("services", queryset=MemberService.objects.order_by("sort_order")),
        )
        .first()
    )
    if found is None:
        raise ApiError(404, _("No organization with this id."))
    return json_response(hsds.organization_full(found, url=page_url(request)(found)))


@api_view
def map_data(directory, request):
    """The map's figures for the page's own query string (`q`, `country`...), as the page shows them."""
    services, form = filter_services(directory, request.GET)
    members = [
        {"title": page.title, "url": page.get_url(request), "area": page.area_code}
        for page in matching_members(directory, services)
    ]
    return json_response({"areas": map_counts(directory, form), "members": members})


@api_view
def not_found(directory, request, unknown):
    """Anything else under api/, such as a malformed id: a JSON 404 like an unknown id."""
    raise ApiError(404, _("Nothing here: see the HSDS API paths /services/ and /organizations/."))
