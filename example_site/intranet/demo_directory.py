"""A fictional member directory: profiles in many countries with realistic services.

Every organisation, number and address here is invented (numbers use the 116 006 EU victim
helpline format or obviously fake local numbers).
"""

import random
from datetime import timedelta

from django.utils import timezone
from django.utils.text import slugify

from vse_referrals.models import (
    AccessChannel,
    AccessibilityFeature,
    AssistanceForm,
    FundingSource,
    Language,
    MemberDirectoryPage,
    MemberHelpline,
    MemberLocation,
    MemberOrganisationPage,
    MemberService,
    Organisation,
    OutreachChannel,
    VictimType,
)

# title, country, region, city, languages, has the EU 116 006 helpline
MEMBERS = [
    ("Brottsofferstöd Norden (demo)", "SE", "", "Stockholm", ["sv", "en", "fi"], True),
    ("Aide aux Victimes France (demo)", "FR", "", "Lyon", ["fr", "en", "ar"], True),
    ("Opferhilfe Deutschland (demo)", "DE", "", "Köln", ["de", "en", "tr"], True),
    ("Apoio à Vítima Portugal (demo)", "PT", "", "Lisboa", ["pt", "en", "es"], True),
    ("Victim Support Ireland (demo)", "IE", "", "Dublin", ["en", "ga", "pl"], True),
    ("Crime Victims Network USA (demo)", "US", "", "Chicago", ["en", "es"], False),
    ("Slachtofferhulp Lage Landen (demo)", "NL", "", "Utrecht", ["nl", "en"], True),
    ("Aide aux Victimes Belgique (demo)", "BE", "", "Namur", ["fr", "nl", "de"], True),
    ("Asistencia a Víctimas España (demo)", "ES", "", "Valencia", ["es", "ca", "en"], True),
    ("Rete Supporto Vittime Italia (demo)", "IT", "", "Bologna", ["it", "en"], True),
    ("Pomoc Ofiarom Polska (demo)", "PL", "", "Kraków", ["pl", "en", "uk"], True),
    ("Pomoc obětem Česko (demo)", "CZ", "", "Brno", ["cs", "en"], True),
    ("Opferschutz Österreich (demo)", "AT", "", "Graz", ["de", "en"], False),
    ("Rikosuhripäivystys Suomi (demo)", "FI", "", "Tampere", ["fi", "sv", "en"], True),
    ("Offerrådgivning Danmark (demo)", "DK", "", "Aarhus", ["da", "en"], True),
    ("Kontor for voldsoffer Norge (demo)", "NO", "", "Bergen", ["nb", "en"], False),
    ("Victim Support Malta (demo)", "MT", "", "Valletta", ["mt", "en"], True),
    ("Podrška žrtvama Hrvatska (demo)", "HR", "", "Split", ["hr", "en"], True),
    ("Ohvriabi Eesti (demo)", "EE", "", "Tartu", ["et", "ru", "en"], True),
    ("Victim Support Scotland (demo)", "GB", "GB-SCT", "Glasgow", ["en", "gd"], False),
    ("Victim Support England (demo)", "GB", "GB-ENG", "Leeds", ["en", "pa", "ur"], False),
    ("Victim Support Aotearoa (demo)", "NZ", "", "Wellington", ["en"], False),
]

SERVICES = [
    (
        "General support for victims of crime",
        ["emotional-support", "information-on-rights-and-procedures", "practical-help"],
        ["all-victims-of-crime"],
    ),
    (
        "Support for victims of crime abroad",
        ["information-on-rights-and-procedures", "referral-to-specialist-services", "interpreting"],
        ["victims-of-crime-abroad"],
    ),
    (
        "Court support service",
        ["support-during-criminal-proceedings", "court-accompaniment"],
        ["all-victims-of-crime", "older-victims"],
    ),
    (
        "Domestic and sexual violence service",
        ["emotional-support", "safe-accommodation", "psychological-counselling-and-trauma-care"],
        ["domestic-violence", "sexual-violence"],
    ),
    (
        "Children and young people's service",
        ["emotional-support", "psychological-counselling-and-trauma-care"],
        ["children-and-young-people"],
    ),
    (
        "Homicide bereavement service",
        ["emotional-support", "support-during-criminal-proceedings", "help-with-compensation-claims"],
        ["families-of-homicide-victims"],
    ),
    (
        "Fraud and cybercrime advice",
        ["information-on-rights-and-procedures", "practical-help"],
        ["fraud-and-cybercrime", "older-victims"],
    ),
]


def load(home):
    """Create the directory under `home` unless it exists; returns how many profiles were created."""
    if MemberDirectoryPage.objects.exists():
        return 0
    directory = home.add_child(
        instance=MemberDirectoryPage(
            title="Find victim support",
            slug="find-support",
            intro="<p>Victim support services of the members of Victim Support Europe and partners. "
            "Filter by country, type of crime, kind of help or language.</p>",
        )
    )
    rng = random.Random(2026)  # the same demo directory every time
    # Services link the terms in the default language; each language's page shows their translations.
    terms = {model: {term.code: term for term in model.objects.originals()} for model in (AssistanceForm, VictimType)}
    access = list(AccessChannel.objects.originals())
    outreach = list(OutreachChannel.objects.originals())
    funding = list(FundingSource.objects.originals())
    accessibility = list(AccessibilityFeature.objects.originals())
    organisations = {organisation.name: organisation for organisation in Organisation.objects.all()}
    today = timezone.localdate()
    for index, (title, country, region, city, language_codes, eu_helpline) in enumerate(MEMBERS):
        languages = list(Language.objects.filter(code__in=language_codes))
        page = MemberOrganisationPage(
            title=title,
            slug=slugify(title),
            country=country,
            region=region,
            organisation=organisations.get(title),
            summary=f"Free and confidential support for anyone affected by crime in and around {city}.",
            description=f"<p>A fictional member organisation for the demo, based in {city}.</p>",
            website="",
            email=f"info@member-{index + 1}.example",
            # One in five profiles was last verified over a year ago, to show the warning.
            last_verified=today - timedelta(days=400 if index % 5 == 4 else 30 + index),
        )
        directory.add_child(instance=page)
        page.languages.set(languages)
        for position, (name, forms, victims) in enumerate(rng.sample(SERVICES, k=rng.randint(2, 4))):
            service = MemberService(
                page=page,
                sort_order=position,
                name=name,
                description=f"{name} offered by {title}.",
                capacity_notes=f"About {rng.randint(2, 40) * 50} people a year",
                paid_staff=rng.randint(2, 60),
                volunteers=rng.randint(0, 300),
                training="Initial training of 40 hours, then yearly refreshers and supervision.",
                funding_notes="",
                countries_served=[country],
                open_24_7=name.startswith("Domestic") and rng.random() < 0.5,
                free_of_charge=True,
                eligibility="Anyone affected by crime, whether or not it was reported to the police.",
            )
            # Parental many-to-many values are kept in memory until the service is saved.
            service.assistance_forms.set([terms[AssistanceForm][code] for code in forms])
            service.victim_types.set([terms[VictimType][code] for code in victims])
            service.access_channels.set(rng.sample(access, k=3))
            service.outreach_channels.set(rng.sample(outreach, k=3))
            service.funding_sources.set(rng.sample(funding, k=2))
            service.accessibility.set(rng.sample(accessibility, k=2))
            service.languages.set(languages)
            service.save()
        if eu_helpline:
            helpline = MemberHelpline(
                page=page, label="Helpline for victims of crime", number="116 006", free=True, open_24_7=index % 3 == 0
            )
            helpline.languages.set(languages[:2])
            helpline.save()
        MemberLocation.objects.create(
            page=page,
            name=f"{city} office",
            address=f"{index + 1} Example Street",
            postal_code="0000",
            city=city,
            country=country,
            visibility="exact",
        )
        if index % 4 == 0:
            MemberLocation.objects.create(
                page=page,
                name="Safe house",
                address="Never published",
                postal_code="0000",
                city=city,
                country=country,
                visibility="hidden",
            )
        page.save_revision().publish()
    return len(MEMBERS)
