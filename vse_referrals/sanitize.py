"""The one bleach configuration for rich text written by users (case messages)."""

import bleach
from django.utils.safestring import mark_safe

ALLOWED_TAGS = frozenset({"p", "br", "strong", "b", "em", "i", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": ["href", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})

_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[
        # Links open outside the intranet without leaking the case URL as referrer.
        lambda source: bleach.linkifier.LinkifyFilter(source, callbacks=[_external_link], skip_tags={"pre"}),
    ],
)


def _external_link(attrs, new=False):
    attrs[(None, "rel")] = "noopener noreferrer nofollow"
    attrs[(None, "target")] = "_blank"
    return attrs


def sanitize_html(html: str) -> str:
    """Keep paragraphs, line breaks, emphasis, lists and http/https/mailto links; drop the rest."""
    return _cleaner.clean(html or "")


def safe_html(html: str):
    """Sanitised HTML marked safe for templates: the only way user HTML reaches a page."""
    return mark_safe(sanitize_html(html))  # nosec B308 B703  # sanitised by bleach in this call


def has_text(html: str) -> bool:
    """Whether `html` says anything once every tag is removed (an empty editor gives `<p></p>`)."""
    return bool(bleach.clean(html or "", tags=set(), strip=True).strip())
