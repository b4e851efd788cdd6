from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

from intranet.views import FaviconView

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("health/", include("vse_referrals.health_urls")),  # vse_referrals: load balancers, monitoring
    path("favicon.ico", FaviconView.as_view()),  # the example intranet's icon (intranet is installed)
]
# The directory in each content language: /fr/..., /es/...; English unprefixed.
urlpatterns += i18n_patterns(path("", include(wagtail_urls)), prefix_default_language=False)
