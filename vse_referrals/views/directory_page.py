"""The member directory page: filters, map and one page of members; or its results alone, which
the filter script (static/vse_referrals/js/directory-filters.js) swaps in without a reload."""

from django.utils.cache import patch_vary_headers

from ..directory import directory_context

RESULTS_TEMPLATE = "vse_referrals/directory/results.html"


def directory_page(directory, request):
    # Wagtail's own index route says whether this is a preview; templates (the user bar) read it.
    request.is_preview = getattr(request, "is_preview", False)
    partial = request.headers.get("X-Requested-With") == "vse-directory"
    response = directory.render(
        request,
        template=RESULTS_TEMPLATE if partial else None,
        context_overrides=directory_context(directory, request),
    )
    # One URL, two representations (the page, or only its results for the filter script):
    # the browser's cache must not give the results alone when Back returns to the page.
    patch_vary_headers(response, ["X-Requested-With"])
    return response
