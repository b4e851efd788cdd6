from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


class Language(models.Model):
    """A language a member works in (ISO 639-1 code where one exists).

    A table rather than a list of codes so that organisations, services and helplines can be
    filtered by language in one SQL query on every database backend.
    """

    code = models.CharField(_("code"), max_length=12, unique=True)
    name = models.CharField(_("name (English)"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self):
        # Seeded names are Django's own language names, so Django's catalogues translate them.
        return gettext(self.name)
