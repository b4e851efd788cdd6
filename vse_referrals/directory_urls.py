"""The addresses under a member directory page: the page itself and its Open Referral HSDS 3.0 API.

`MemberDirectoryPage` routes what follows its own URL here (RoutablePageMixin) by this module's
name, so that the page model imports no views. Each view is called as a method of the page:
with the directory page, then the request.
"""

from django.urls import include, path

from .views import directory_api, directory_page

api_urlpatterns = [
    path("", directory_api.root, name="hsds_root"),
    path("services/", directory_api.services, name="hsds_services"),
    path("services/<uuid:service_id>/", directory_api.service, name="hsds_service"),
    path("organizations/", directory_api.organizations, name="hsds_organizations"),
    path("organizations/<uuid:organization_id>/", directory_api.organization, name="hsds_organization"),
    path("map/", directory_api.map_data, name="map_data"),
    # Anything else under api/, such as a malformed id: a JSON 404 rather than the site's HTML one.
    path("<path:unknown>/", directory_api.not_found, name="hsds_not_found"),
]

urlpatterns = [
    path("", directory_page.directory_page, name="index_route"),
    path("api/", include(api_urlpatterns)),
]
