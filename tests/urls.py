from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("health/", include("vse_referrals.health_urls")),  # vse_referrals: load balancers, monitoring
    path("", include(wagtail_urls)),
]
