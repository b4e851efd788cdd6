"""The directory's vocabularies: terms VSE edits as snippets, seeded with sensible ones.

Terms are translatable snippets (editors translate them with wagtail-localize). A service links
the terms of its original language; whatever reads a term reads it in the active language, where
it is translated: the default manager annotates each term with its translation (one subquery in
the same SQL query, so listings that prefetch terms cost no more queries).
"""

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from wagtail.coreutils import get_supported_content_language_variant
from wagtail.models import TranslatableMixin


def active_content_language():
    """The content language of the request (Wagtail's variant of the active language); no query."""
    return get_supported_content_language_variant(translation.get_language() or settings.LANGUAGE_CODE)


class VocabularyQuerySet(models.QuerySet):
    def in_active_language(self):
        """Each term with its name and description in the active language, or its own where untranslated."""
        translations = self.model._base_manager.filter(
            translation_key=OuterRef("translation_key"), locale__language_code=active_content_language()
        )
        return self.annotate(
            translated_name=Coalesce(Subquery(translations.values("name")[:1]), "name"),
            translated_description=Coalesce(Subquery(translations.values("description")[:1]), "description"),
        )

    def originals(self):
        """One row per term: the terms of the default language, which services link."""
        return self.filter(locale__language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE))


class VocabularyManager(models.Manager.from_queryset(VocabularyQuerySet)):
    def get_queryset(self):
        return super().get_queryset().in_active_language()


class VocabularyTerm(TranslatableMixin, models.Model):
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(
        _("code"),
        max_length=60,
        help_text=_("Stable identifier used in links and exports; the same in every language."),
    )
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    objects = VocabularyManager()

    class Meta(TranslatableMixin.Meta):
        abstract = True
        ordering = ["sort_order", "name"]
        # One translation of a term per language; its code is that of every translation.
        unique_together = [("translation_key", "locale"), ("code", "locale")]

    def __str__(self):
        return self.local_name

    @property
    def local_name(self):
        """The name in the active language when the term was read through the default manager."""
        return getattr(self, "translated_name", None) or self.name

    @property
    def local_description(self):
        return getattr(self, "translated_description", None) or self.description


class AssistanceForm(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("form of assistance")
        verbose_name_plural = _("forms of assistance")


class VictimType(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("type of victim")
        verbose_name_plural = _("types of victims")


class OutreachChannel(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("way victims are informed")
        verbose_name_plural = _("ways victims are informed")


class AccessChannel(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("way to get assistance")
        verbose_name_plural = _("ways to get assistance")


class FundingSource(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")


class AccessibilityFeature(VocabularyTerm):
    class Meta(VocabularyTerm.Meta):
        verbose_name = _("accessibility feature")
        verbose_name_plural = _("accessibility features")


VOCABULARIES = (AssistanceForm, VictimType, OutreachChannel, AccessChannel, FundingSource, AccessibilityFeature)
