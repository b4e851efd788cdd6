from django.templatetags.static import static
from django.views.generic import RedirectView


class FaviconView(RedirectView):
    """/favicon.ico, which browsers and feed readers ask for whatever a page links: the shipped icon."""

    # Not permanent: in production the static address carries the file's hash, which changes with it.
    permanent = False

    def get_redirect_url(self, *args, **kwargs):
        return static("intranet/favicon.ico")
