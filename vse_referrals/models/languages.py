from django.db import models
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

# The seeded names Django's catalogues lack (0002_seed_languages): named here so that makemessages
# puts them in the app's catalogues and __str__ translates every seeded name.
NAMES_DJANGO_LACKS = [
    gettext_noop("Amharic"),
    gettext_noop("Chinese"),
    gettext_noop("Dari"),
    gettext_noop("Lingala"),
    gettext_noop("Maltese"),
    gettext_noop("Pashto"),
    gettext_noop("Romani"),
    gettext_noop("Somali"),
    gettext_noop("Tagalog"),
    gettext_noop("Tigrinya"),
]


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
        # Seeded names are Django's own language names or NAMES_DJANGO_LACKS: the catalogues translate them.
        return gettext(self.name)
