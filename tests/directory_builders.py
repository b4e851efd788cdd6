"""Builders for the member directory: a directory page, member profiles and their services.

Vocabularies and languages are seeded by migrations, so terms are named by their codes.
"""

import itertools
from datetime import date, timedelta

from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Site

from vse_referrals.models import (
    AccessChannel,
    AccessibilityFeature,
    AssistanceForm,
    FundingSource,
    Language,
    LocationVisibility,
    MemberDirectoryPage,
    MemberHelpline,
    MemberLocation,
    MemberOrganisationPage,
    MemberService,
    OutreachChannel,
    VictimType,
)

_sequence = itertools.count(1)

SERVICE_TERMS = {
    # builder keyword: (many-to-many of MemberService, vocabulary)
    "assistance": ("assistance_forms", AssistanceForm),
    "victims": ("victim_types", VictimType),
    "outreach": ("outreach_channels", OutreachChannel),
    "access": ("access_channels", AccessChannel),
    "funding": ("funding_sources", FundingSource),
    "accessibility": ("accessibility", AccessibilityFeature),
    "languages": ("languages", Language),
}


def make_directory(title="Find victim support", slug="find-support"):
    root = Site.objects.get(is_default_site=True).root_page
    return root.add_child(instance=MemberDirectoryPage(title=title, slug=slug))


def make_member(directory, title=None, *, country="FR", live=True, **fields):
    title = title or f"Member {next(_sequence)}"
    fields.setdefault("summary", f"{title} supports victims of crime.")
    page = MemberOrganisationPage(title=title, slug=slugify(title), country=country, live=live, **fields)
    directory.add_child(instance=page)
    return page


def make_member_with_services(
    directory, title, country, *, region="", services=(), verified_days_ago=10, organisation=None
):
    """A live member with `services`: dicts of a name and term codes (`victims`, `forms`, `access`,
    `accessibility`, `languages`) and `open_24_7`."""
    page = make_member(
        directory,
        title,
        country=country,
        region=region,
        summary=f"Support for victims in {country}.",
        last_verified=timezone.localdate() - timedelta(days=verified_days_ago),
        organisation=organisation,
    )
    for spec in services:
        make_service(
            page,
            spec["name"],
            open_24_7=spec.get("open_24_7", False),
            victims=spec.get("victims", ()),
            assistance=spec.get("forms", ()),
            access=spec.get("access", ()),
            accessibility=spec.get("accessibility", ()),
            languages=spec.get("languages", ()),
        )
    return page


def make_members(directory, count, *, start=0, countries=("FR", "DE", "SE", "PT", "IE")):
    """`count` members "Member 000"... (numbered from `start`, so that titles sort as numbers),
    in turn in each of `countries`, each with one English service for every victim."""
    return [
        make_member_with_services(
            directory,
            f"Member {index:03}",
            countries[index % len(countries)],
            services=[
                {
                    "name": f"Service {index}",
                    "victims": ["all-victims-of-crime"],
                    "forms": ["emotional-support"],
                    "languages": ["en"],
                }
            ],
        )
        for index in range(start, start + count)
    ]


def make_service(page, name, **fields):
    """A service; `assistance`, `victims`, `outreach`, `access`, `funding`, `accessibility` and
    `languages` take term or language codes."""
    terms = {keyword: fields.pop(keyword, ()) for keyword in SERVICE_TERMS}
    service = MemberService.objects.create(page=page, name=name, **fields)
    for keyword, codes in terms.items():
        relation, model = SERVICE_TERMS[keyword]
        getattr(service, relation).set(model.objects.filter(code__in=codes))
    service.save()  # parental many-to-many changes are saved with their owner
    return service


def make_helpline(page, label="Victim helpline", number="116 006", languages=(), **fields):
    helpline = MemberHelpline.objects.create(page=page, label=label, number=number, **fields)
    helpline.languages.set(Language.objects.filter(code__in=languages))
    helpline.save()
    return helpline


def make_location(page, name, visibility=LocationVisibility.EXACT, **fields):
    fields.setdefault("city", "Lyon")
    fields.setdefault("country", page.country)
    return MemberLocation.objects.create(page=page, name=name, visibility=visibility, **fields)


HIDDEN = {"name": "Refuge des Tilleuls", "address": "99 Chemin du Secret", "postal_code": "69999"}
CITY_ONLY = {"name": "Villeurbanne drop-in", "address": "7 Avenue Citadine", "postal_code": "69100"}


def make_example_directory():
    """Two live members (FR, DE) with three services, and an unpublished one.

    The French member has an exact, a city-only and a hidden location (values in HIDDEN and
    CITY_ONLY above must never be published in full).
    """
    directory = make_directory()
    lyon = make_member(
        directory,
        "Aide aux Victimes Lyon",
        country="FR",
        summary="Help for every victim of crime in the Rhône.",
        description="<p>Founded in <b>1986</b>, we help victims &amp; families.</p>",
        website="https://lyon.example.org/",
        email="contact@lyon.example.org",
        last_verified=date(2026, 1, 15),
    )
    general = make_service(
        lyon,
        "General support for victims",
        description="Listening, information and practical help.",
        assistance=["emotional-support", "practical-help"],
        victims=["all-victims-of-crime"],
        outreach=["referral-by-the-police", "website"],
        access=["phone-helpline", "walk-in-centre"],
        funding=["national-government"],
        funding_notes="Ministry of Justice grant",
        accessibility=["sign-language"],
        languages=["fr", "en"],
        countries_served=["FR", "BE"],
        open_24_7=True,
        capacity_notes="Answer within a day",
        paid_staff=4,
        volunteers=20,
        training="40 hours of initial training",
        eligibility="Any victim of crime, whatever their nationality.",
    )
    court = make_service(
        lyon,
        "Court accompaniment",
        assistance=["court-accompaniment"],
        victims=["domestic-violence"],
        languages=["fr"],
        capacity_status="waitlist",
        free_of_charge=False,
    )
    make_helpline(lyon, "National helpline for victims", "116 006", languages=["fr", "en"], open_24_7=True)
    make_location(
        lyon,
        "Lyon office",
        address="12 Rue de la République",
        postal_code="69001",
        latitude="45.76400",
        longitude="4.83566",
    )
    make_location(
        lyon,
        visibility=LocationVisibility.CITY,
        city="Villeurbanne",
        latitude="45.77000",
        longitude="4.88000",
        **CITY_ONLY,
    )
    make_location(
        lyon, visibility=LocationVisibility.HIDDEN, city="Lyon", latitude="45.70000", longitude="4.80000", **HIDDEN
    )

    cologne = make_member(directory, "Opferhilfe Köln", country="DE", summary="Beratung für Betroffene von Betrug.")
    fraud = make_service(cologne, "Fraud advice", victims=["fraud-and-cybercrime"], languages=["de"])

    draft = make_member(directory, "Draft member", country="FR", live=False)
    draft_service = make_service(draft, "Draft service", languages=["fr"])
    return {
        "directory": directory,
        "lyon": lyon,
        "cologne": cologne,
        "draft": draft,
        "general": general,
        "court": court,
        "fraud": fraud,
        "draft_service": draft_service,
    }
