"""The directory's vocabularies, edited by VSE as Wagtail snippets."""

from django.utils.translation import gettext_lazy as _
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from .models import VOCABULARIES


def vocabulary_viewset(vocabulary):
    return type(
        f"{vocabulary.__name__}ViewSet",
        (SnippetViewSet,),
        {
            "model": vocabulary,
            "icon": "tag",
            "list_display": ["name", "code", "sort_order"],
            "search_fields": ["name", "code"],
            "ordering": ["sort_order", "name"],
        },
    )


class DirectoryVocabulariesGroup(SnippetViewSetGroup):
    menu_label = _("Directory vocabularies")
    menu_icon = "tag"
    menu_order = 260
    items = [vocabulary_viewset(vocabulary) for vocabulary in VOCABULARIES]
