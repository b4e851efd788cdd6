"""The directory's vocabularies: terms VSE edits as snippets, seeded with sensible ones."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VocabularyTerm(models.Model):
    name = models.CharField(_("name"), max_length=120)
    code = models.SlugField(
        _("code"), max_length=60, unique=True, help_text=_("Stable identifier used in links and exports.")
    )
    description = models.TextField(_("description"), blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)

    class Meta:
        abstract = True
        ordering = ["sort_order", "name"]

    def __str__(self):
        return self.name


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
