"""The demo directory in French and Spanish, translated the way editors do it: with wagtail-localize.

Each language's tree is kept in step with the English one (wagtail-localize's locale
synchronisation): every English profile appears in it at once, as an alias that shows the
original text with a note, until someone translates it. Here three profiles, the directory page
and two vocabularies are translated; the other profiles stay untranslated to show the fallback.
The texts below are the demo's own content, not interface strings (those are in the app's catalogues).
"""

import re

from wagtail.models import Locale
from wagtail_localize.models import LocaleSynchronization, Translation, TranslationSource

from vse_referrals.models import AssistanceForm, MemberDirectoryPage, MemberOrganisationPage, VictimType

from .demo_directory import MEMBERS

TRANSLATED_PROFILES = [title for title, *_rest in MEMBERS[:3]]

# English text -> {language: translation}. Texts made from a pattern (a city, a number) are below.
TEXTS = {
    "Find victim support": {"fr": "Trouver une aide aux victimes", "es": "Encontrar apoyo a las víctimas"},
    "Victim support services of the members of Victim Support Europe and partners. "
    "Filter by country, type of crime, kind of help or language.": {
        "fr": "Les services d'aide aux victimes des membres de Victim Support Europe et de ses partenaires. "
        "Filtrez par pays, type d'infraction, forme d'aide ou langue.",
        "es": "Los servicios de apoyo a las víctimas de los miembros de Victim Support Europe y sus socios. "
        "Filtre por país, tipo de delito, forma de ayuda o idioma.",
    },
    "General support for victims of crime": {
        "fr": "Aide générale aux victimes d'infractions",
        "es": "Apoyo general a las víctimas de delitos",
    },
    "Support for victims of crime abroad": {
        "fr": "Aide aux victimes d'infractions à l'étranger",
        "es": "Apoyo a las víctimas de delitos en el extranjero",
    },
    "Court support service": {"fr": "Accompagnement au tribunal", "es": "Acompañamiento en los tribunales"},
    "Domestic and sexual violence service": {
        "fr": "Service violences conjugales et sexuelles",
        "es": "Servicio de violencia doméstica y sexual",
    },
    "Children and young people's service": {
        "fr": "Service enfants et jeunes",
        "es": "Servicio para niños y jóvenes",
    },
    "Homicide bereavement service": {
        "fr": "Soutien aux proches de victimes d'homicide",
        "es": "Apoyo a familiares de víctimas de homicidio",
    },
    "Fraud and cybercrime advice": {
        "fr": "Conseil en cas de fraude et de cybercriminalité",
        "es": "Asesoramiento sobre fraude y ciberdelincuencia",
    },
    "Initial training of 40 hours, then yearly refreshers and supervision.": {
        "fr": "Formation initiale de 40 heures, puis remises à niveau annuelles et supervision.",
        "es": "Formación inicial de 40 horas, después actualizaciones anuales y supervisión.",
    },
    "Anyone affected by crime, whether or not it was reported to the police.": {
        "fr": "Toute personne touchée par une infraction, qu'elle ait été signalée à la police ou non.",
        "es": "Cualquier persona afectada por un delito, se haya denunciado a la policía o no.",
    },
    "Helpline for victims of crime": {
        "fr": "Ligne d'écoute pour les victimes d'infractions",
        "es": "Línea de ayuda para víctimas de delitos",
    },
    # Vocabularies: types of victims and forms of assistance.
    "All victims of crime": {"fr": "Toutes les victimes d'infractions", "es": "Todas las víctimas de delitos"},
    "Victims of crime abroad": {
        "fr": "Victimes d'infractions à l'étranger",
        "es": "Víctimas de delitos en el extranjero",
    },
    "Domestic violence": {"fr": "Violences conjugales", "es": "Violencia doméstica"},
    "Sexual violence": {"fr": "Violences sexuelles", "es": "Violencia sexual"},
    "Children and young people": {"fr": "Enfants et jeunes", "es": "Niños y jóvenes"},
    "Families of homicide victims": {
        "fr": "Proches de victimes d'homicide",
        "es": "Familiares de víctimas de homicidio",
    },
    "Terrorism": {"fr": "Terrorisme", "es": "Terrorismo"},
    "Human trafficking": {"fr": "Traite des êtres humains", "es": "Trata de seres humanos"},
    "Hate crime": {"fr": "Crimes de haine", "es": "Delitos de odio"},
    "Road traffic crime": {"fr": "Infractions routières", "es": "Delitos de tráfico"},
    "Fraud and cybercrime": {"fr": "Fraude et cybercriminalité", "es": "Fraude y ciberdelincuencia"},
    "Older victims": {"fr": "Victimes âgées", "es": "Víctimas mayores"},
    "Victims with disabilities": {"fr": "Victimes en situation de handicap", "es": "Víctimas con discapacidad"},
    "Emotional support": {"fr": "Soutien émotionnel", "es": "Apoyo emocional"},
    "Information on rights and procedures": {
        "fr": "Information sur les droits et les procédures",
        "es": "Información sobre derechos y procedimientos",
    },
    "Practical help": {"fr": "Aide pratique", "es": "Ayuda práctica"},
    "Legal advice": {"fr": "Conseil juridique", "es": "Asesoramiento jurídico"},
    "Support during criminal proceedings": {
        "fr": "Accompagnement pendant la procédure pénale",
        "es": "Apoyo durante el proceso penal",
    },
    "Court accompaniment": {"fr": "Accompagnement au tribunal", "es": "Acompañamiento al juzgado"},
    "Psychological counselling and trauma care": {
        "fr": "Soutien psychologique et prise en charge du traumatisme",
        "es": "Apoyo psicológico y atención al trauma",
    },
    "Safe accommodation": {"fr": "Hébergement sûr", "es": "Alojamiento seguro"},
    "Help with compensation claims": {"fr": "Aide aux demandes d'indemnisation", "es": "Ayuda con las indemnizaciones"},
    "Restorative justice": {"fr": "Justice restaurative", "es": "Justicia restaurativa"},
    "Referral to specialist services": {
        "fr": "Orientation vers des services spécialisés",
        "es": "Derivación a servicios especializados",
    },
    "Interpreting": {"fr": "Interprétariat", "es": "Interpretación"},
}

PATTERNS = [
    (
        r"Free and confidential support for anyone affected by crime in and around (?P<city>.+)\.",
        {
            "fr": "Aide gratuite et confidentielle pour toute personne touchée par une infraction "
            "à {city} et alentour.",
            "es": "Apoyo gratuito y confidencial para cualquier persona afectada por un delito "
            "en {city} y alrededores.",
        },
    ),
    (
        r"A fictional member organisation for the demo, based in (?P<city>.+)\.",
        {
            "fr": "Une organisation membre fictive pour la démonstration, basée à {city}.",
            "es": "Una organización miembro ficticia para la demostración, con sede en {city}.",
        },
    ),
    (
        r"About (?P<count>\d+) people a year",
        {"fr": "Environ {count} personnes par an", "es": "Unas {count} personas al año"},
    ),
    (r"(?P<city>.+) office", {"fr": "Bureau de {city}", "es": "Oficina de {city}"}),
    (
        r"(?P<service>.+) offered by (?P<member>.+)\.",
        {"fr": "{service}, proposé par {member}.", "es": "{service}, ofrecido por {member}."},
    ),
]


def translated(text, language):
    """The demo's translation of one of its English texts, or None (it stays in English)."""
    if text in TEXTS:
        return TEXTS[text][language]
    for pattern, translations in PATTERNS:
        match = re.fullmatch(pattern, text)
        if match:
            parts = {name: translated(value, language) or value for name, value in match.groupdict().items()}
            return translations[language].format(**parts)
    return None


def translate(instance, locale):
    """Translate `instance` into `locale` through wagtail-localize, as an editor would in its editor."""
    source, _created = TranslationSource.get_or_create_from_instance(instance)
    translation, _created = Translation.objects.get_or_create(
        source=source, target_locale=locale, defaults={"enabled": True}
    )
    po = translation.export_po()
    for entry in po:
        entry.msgstr = translated(entry.msgid, locale.language_code) or ""
    translation.import_po(po)
    translation.save_target(publish=True)


def load():
    """Set up French and Spanish (once); returns the languages set up."""
    default = Locale.get_default()
    directory = MemberDirectoryPage.objects.filter(locale=default).first()
    if directory is None:
        return []
    added = []
    for code in ("fr", "es"):
        locale, _created = Locale.objects.get_or_create(language_code=code)
        if LocaleSynchronization.objects.filter(locale=locale).exists():
            continue
        # Aliases of the whole English tree: the directory in this language lists every member.
        LocaleSynchronization.objects.create(locale=locale, sync_from=default)
        for vocabulary in (VictimType, AssistanceForm):
            for term in vocabulary.objects.originals():
                translate(term, locale)
        translate(directory, locale)
        for page in MemberOrganisationPage.objects.child_of(directory).filter(title__in=TRANSLATED_PROFILES):
            translate(page, locale)
        added.append(code)
    return added
