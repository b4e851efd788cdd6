"""Builders for test data: the one place that knows how to make organisations, users, designations,
referral cases, and the member directory's pages and services."""

import itertools
from contextlib import contextmanager
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from wagtail.models import Locale, Site

from vse_referrals import workflow
from vse_referrals.models import (
    CLOSED_STATUSES,
    AccessChannel,
    AccessibilityFeature,
    AssistanceForm,
    ContactPoint,
    FundingSource,
    Language,
    LocationVisibility,
    MemberDirectoryPage,
    MemberHelpline,
    MemberLocation,
    MemberOrganisationPage,
    MemberService,
    Organisation,
    OutreachChannel,
    ReferralCase,
    VictimType,
)
from vse_referrals.permissions import actor_for_user
from vse_referrals.statistics import tally

_sequence = itertools.count(1)


def make_user(username=None, *, admin_access=True, **fields):
    username = username or f"user{next(_sequence)}"
    user = get_user_model().objects.create_user(
        username=username,
        password="password",
        email=f"{username}@example.org",
        first_name=fields.pop("first_name", username.title()),
        last_name=fields.pop("last_name", "Tester"),
        **fields,
    )
    if admin_access:
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label="wagtailadmin", codename="access_admin")
        )
    return user


def make_superuser(username="vse-admin"):
    return make_user(username, is_superuser=True, is_staff=True)


def make_organisation(name=None, country="FR", **fields):
    return Organisation.objects.create(name=name or f"Member organisation {next(_sequence)}", country=country, **fields)


def designate(
    user,
    organisation,
    role=ContactPoint.Role.PRIMARY,
    *,
    starts_in=None,
    ends_in=None,
    started_ago=None,
    pending=False,
    proposed_by=None,
):
    """Designate `user` for `organisation`; periods are relative to now (timedelta).

    The designation is confirmed (it grants access in its period) unless `pending`: then it awaits
    a second person's confirmation of the proposal of `proposed_by`.
    """
    now = timezone.now()
    active_from = now - (started_ago or timedelta(days=30))
    if starts_in is not None:
        active_from = now + starts_in
    active_until = now + ends_in if ends_in is not None else None
    if role == ContactPoint.Role.DEPUTY and active_until is None:
        active_until = now + timedelta(days=60)
    designation = ContactPoint(
        user=user,
        organisation=organisation,
        role=role,
        active_from=active_from,
        active_until=active_until,
        proposed_by=proposed_by,
        confirmed_at=None if pending else now,
    )
    designation.full_clean()
    designation.save()
    return designation


def make_contact_point(organisation, role=ContactPoint.Role.PRIMARY, username=None, **period):
    user = make_user(username)
    designate(user, organisation, role, **period)
    return user


def grant_model_permissions(user, model, actions=("add", "change", "delete", "view")):
    """Give `user` global model permissions through a group, the way VSE staff get them."""
    group, _ = Group.objects.get_or_create(name=f"Global {model._meta.model_name} managers")
    group.permissions.add(
        *Permission.objects.filter(
            content_type__app_label=model._meta.app_label,
            codename__in=[f"{action}_{model._meta.model_name}" for action in actions],
        )
    )
    user.groups.add(group)
    return group


# Referral cases ------------------------------------------------------------------------------

PERSONAL_VALUES = {
    # Distinctive values that must never appear in plain text in the database, e-mails or logs.
    "name": "Zofia Kowalska-Nightingale",
    "phone": "+48 601 555 0199",
    "email": "zofia.private@example.invalid",
    "referral_reason": "Attacked near the Grand-Place, lost passport QX9912",
    "crime_place": "Rue des Bouchers 7, Brussels",
    "police_reference": "PV-BRU-2026-777123",
    "personal_characteristics": "Hearing impaired, uses sign language",
    "victim_wishes": "Wants to speak to a woman counsellor",
}


def make_case(sender, receiver, created_by=None, **fields):
    """A complete draft from `sender` to `receiver`, ready to be sent."""
    values = {
        "priority": "urgent",
        "consent_obtained_on": timezone.localdate(),
        "consent_method": "in-person",
        "consent_to_share": True,
        "consent_to_contact": True,
        "consent_to_report_back": True,
        "support_needed": ["emotional", "information"],
        "contact_channels": ["phone"],
        "crime_country": receiver.country if receiver else "",
        "residence_country": sender.country,
        **PERSONAL_VALUES,
    }
    values.update(fields)
    return ReferralCase.objects.create(
        sending_organisation=sender, receiving_organisation=receiver, created_by=created_by, **values
    )


def sent_case(sender_user, receiver, **fields):
    """A case sent by `sender_user` (an active contact point) to `receiver`."""
    actor = acting(sender_user)
    case = make_case(actor.organisation, receiver, created_by=sender_user, **fields)
    return workflow.perform(case, "send", actor)


def past_case(sender, receiver, sent_at, status, *, answer_hours=None, contact_hours=None, respond_hours=5, **fields):
    """A referral sent at `sent_at` that has gone on to `status`, with the times the workflow would
    have stamped (in hours after sending); a closed one is counted by the statistics, as it would
    have been on closing, and is due for the purge a year after closing."""
    hour = timedelta(hours=1)
    stamps = {"sent_at": sent_at, "respond_by": sent_at + respond_hours * hour, "status": status}
    if answer_hours is not None:
        stamps["received_at"] = stamps["answered_at"] = sent_at + answer_hours * hour
    if contact_hours is not None:
        stamps["victim_contacted_at"] = sent_at + contact_hours * hour
    if status in CLOSED_STATUSES:
        latest = max(value for value in (answer_hours, contact_hours, respond_hours) if value is not None)
        stamps["closed_at"] = sent_at + (latest + 1) * hour
        stamps["purge_after"] = stamps["closed_at"] + timedelta(days=365)
    case = make_case(sender, receiver, **{**stamps, **fields})
    if status in CLOSED_STATUSES and case.sent_at:
        tally.record_closed(case)  # as the workflow does when a case closes
    return case


def acting(user):
    """The workflow's actor for `user` (None stays None: the system acts)."""
    return None if user is None else actor_for_user(user)


# The member directory ------------------------------------------------------------------------
# Vocabularies and languages are seeded by migrations, so terms are named by their codes.

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
        originals = model.objects.originals() if hasattr(model.objects, "originals") else model.objects.all()
        getattr(service, relation).set(originals.filter(code__in=codes))
    service.save()  # parental many-to-many changes are saved with their owner
    return service


def add_language(code):
    """A content language mirroring the default one's page tree, as the example site sets it up:
    every page appears in it at once, as an untranslated alias, until it is translated."""
    from wagtail_localize.models import LocaleSynchronization

    locale, _created = Locale.objects.get_or_create(language_code=code)
    LocaleSynchronization.objects.get_or_create(locale=locale, defaults={"sync_from": Locale.get_default()})
    return locale


def translate(instance, locale, texts):
    """Translate a page or snippet with wagtail-localize, as an editor does: `texts` maps source
    strings to their translation; the others keep the source text. Returns the published translation."""
    from wagtail_localize.models import Translation, TranslationSource

    source, _created = TranslationSource.update_or_create_from_instance(instance)
    translation, _created = Translation.objects.get_or_create(source=source, target_locale=locale)
    po = translation.export_po()
    for entry in po:
        entry.msgstr = texts.get(entry.msgid, "")
    translation.import_po(po)
    translation.save_target(publish=True)
    return instance.get_translation(locale)


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


# Attack suite: data built once per module, roles and cases in each state ----------------------


@contextmanager
def kept_for_module(django_db_blocker):
    """Build data once for a test module (in a module-scoped fixture, around its `yield`).

    The data lives in a transaction rolled back after the module; each test's own transaction is
    a savepoint inside it, so what a test changes is undone before the next one."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield
        transaction.set_rollback(True)


def make_pending_contact_point(organisation, role=ContactPoint.Role.DEPUTY, username=None, **period):
    """A contact point whose designation awaits a second person's confirmation (by default in
    its period already: then the missing confirmation is all that stands between them and the cases)."""
    return make_contact_point(organisation, role, username, **{"ends_in": timedelta(days=30), **period}, pending=True)


PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

CASE_STATES = ("draft", "sent", "accepted", "closed", "purged")


def pdf_upload(name="statement.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def attach_pdf(case, user, name="statement.pdf"):
    return workflow.add_attachment(case, acting(user), pdf_upload(name), "application/pdf")


def case_in_state(state, sender_user, receiver_user, *, file_name="statement.pdf", **fields):
    """A case from `sender_user`'s organisation to `receiver_user`'s, brought to `state` (one of
    CASE_STATES) through the workflow, with one file added while it was open. "purged" is a
    closed case whose retention period has passed and that the retention run has purged.
    `case.added_file_id` is the id of that file (gone from a purged case)."""
    from vse_referrals import retention

    if state == "draft":
        sender = acting(sender_user).organisation
        case = make_case(sender, acting(receiver_user).organisation, created_by=sender_user, **fields)
        case.added_file_id = attach_pdf(case, sender_user, file_name).pk
        return case
    case = sent_case(sender_user, acting(receiver_user).organisation, **fields)
    case.added_file_id = attach_pdf(case, sender_user, file_name).pk
    if state == "sent":
        return case
    receiver = acting(receiver_user)
    case = workflow.perform(case, "accept", receiver)
    if state == "accepted":
        return case
    case = workflow.perform(case, "close", receiver, outcome="supported", reason="Supported by phone")
    if state == "closed":
        return case
    retention.purge_case(case.pk, now=case.purge_after + timedelta(seconds=1))
    case.refresh_from_db()
    return case
