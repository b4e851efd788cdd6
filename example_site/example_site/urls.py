from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from intranet.views import FaviconView

urlpatterns = [
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("health/", include("vse_referrals.health_urls")),  # vse_referrals: load balancers, monitoring
    path("favicon.ico", FaviconView.as_view()),
]

if settings.DEBUG:
    from django.conf.urls.static import static
    from django.contrib.staticfiles.urls import staticfiles_urlpatterns

    urlpatterns += staticfiles_urlpatterns()
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# vse_referrals: the public directory in each content language, at /fr/..., /es/... (English, the
# default, unprefixed); the admin above stays at one address in every language.
urlpatterns += i18n_patterns(path("", include(wagtail_urls)), prefix_default_language=False)
