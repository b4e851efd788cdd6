from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from intranet.views import FaviconView

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("health/", include("vse_referrals.health_urls")),  # vse_referrals: load balancers, monitoring
    path("favicon.ico", FaviconView.as_view()),  # the example intranet's icon (intranet is installed)
    path("", include(wagtail_urls)),
]
