"""The URL patterns the attack suite tries, read from the URL resolver rather than listed by hand."""

from dataclasses import dataclass

from django.urls import URLResolver, get_resolver

from vse_referrals import directory_urls


@dataclass(frozen=True)
class Pattern:
    name: str  # "namespace:name"
    route: str
    kwargs: tuple

    @property
    def namespace(self):
        return self.name.rpartition(":")[0]


def walk(patterns, namespaces=(), prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from walk(entry.url_patterns, inner, prefix + str(entry.pattern))
        else:
            converters = getattr(entry.pattern, "converters", None) or {}
            kwargs = tuple(converters) or tuple(entry.pattern.regex.groupindex)
            yield Pattern(":".join((*namespaces, entry.name or "")), prefix + str(entry.pattern), kwargs)


def site_patterns():
    """The test site's URL patterns and the example site's: a URL added to either counts."""
    found = {}
    for urlconf in (None, "example_site.urls"):
        for pattern in walk(get_resolver(urlconf).url_patterns):
            found.setdefault(pattern.name, pattern)
    return list(found.values())


def app_patterns():
    """The admin URLs the app adds: its namespace, its modeladmin views and report, its snippets."""
    return sorted(
        (
            pattern
            for pattern in site_patterns()
            if pattern.namespace == "vse_referrals"
            or pattern.name.startswith("vse_referrals_")
            or pattern.namespace.startswith(("wagtailsnippets_vse_referrals_", "wagtailsnippetchoosers_vse_referrals_"))
        ),
        key=lambda pattern: pattern.name,
    )


def directory_patterns():
    """The routes under a member directory page (a routable page: not in the site's resolver)."""
    return list(walk(directory_urls.urlpatterns))
