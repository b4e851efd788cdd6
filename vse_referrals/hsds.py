"""The member directory as Open Referral HSDS 3.0 (Human Services Data Specification).

Pure functions from directory pages, services and locations to HSDS dicts, and the paginated
list envelope of the HSDS API. They read only what they are given (prefetch in the caller) and
read locations only through `MemberLocation.public_view()`, so a hidden location can never
reach a payload and a city-only one never carries a street, postcode or coordinates.

Objects that have no id of their own in the database (phones, languages, service areas,
attributes, taxonomy terms...) get UUIDs derived with uuid5 from `NAMESPACE`, so they are the
same on every request and in every deployment.
"""

import uuid
from dataclasses import dataclass

from django.core.paginator import EmptyPage, Paginator
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from wagtail.rich_text import get_text_for_indexing

HSDS_VERSION = "3.0"
HSDS_PROFILE = "https://github.com/openreferral/specification/tree/3.0"
HSDS_OPENAPI_URL = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json"

# Never change: every derived id (taxonomies, terms, phones...) depends on it.
NAMESPACE = uuid.UUID("9ae75239-248e-5439-82b1-c2dfc913a55b")

EVERY_DAY = "MO,TU,WE,TH,FR,SA,SU"


@dataclass(frozen=True)
class Taxonomy:
    """One of VSE's vocabularies published as an HSDS taxonomy; `key` is part of every derived id."""

    key: str
    name: str  # names and descriptions are lazy: the API answers in the page's language
    description: str
    relation: str = ""  # the MemberService many-to-many holding the terms, if any


VOCABULARY_TAXONOMIES = (
    Taxonomy(
        "assistance-forms",
        _("VSE forms of assistance"),
        _("Forms of assistance and support a service provides."),
        "assistance_forms",
    ),
    Taxonomy("victim-types", _("VSE types of victims"), _("Types of victims a service supports."), "victim_types"),
    Taxonomy(
        "outreach-channels",
        _("VSE outreach channels"),
        _("How victims are informed about a service."),
        "outreach_channels",
    ),
    Taxonomy("access-channels", _("VSE access channels"), _("Ways victims can get assistance."), "access_channels"),
    Taxonomy("funding-sources", _("VSE funding sources"), _("How a service is financed."), "funding_sources"),
    Taxonomy(
        "accessibility", _("VSE accessibility features"), _("Accessibility features of a service."), "accessibility"
    ),
)
CAPACITY = Taxonomy("capacity", _("VSE capacity"), _("Whether a service can take on new victims."))
STAFFING = Taxonomy("staffing", _("VSE staffing"), _("Paid staff and volunteers of a service and their training."))
STAFFING_TERMS = (("paid-staff", _("Paid staff"), "paid_staff"), ("volunteers", _("Volunteers"), "volunteers"))


def derived_id(*parts):
    """A stable UUID for an object identified by `parts` (an owner's id, a kind, a code...)."""
    return str(uuid.uuid5(NAMESPACE, "/".join(str(part) for part in parts)))


def without_empty(data):
    """Optional HSDS fields are left out rather than sent empty."""
    return {key: value for key, value in data.items() if value not in (None, "", [])}


def api_root():
    return {"version": HSDS_VERSION, "profile": HSDS_PROFILE, "openapi_url": HSDS_OPENAPI_URL}


# Taxonomies and attributes ------------------------------------------------------------------


def taxonomy(vocabulary):
    return {
        "id": derived_id("taxonomy", vocabulary.key),
        "name": str(vocabulary.name),
        "description": str(vocabulary.description),
    }


def taxonomy_term(vocabulary, code, name, description=""):
    name = str(name)
    return {
        "id": derived_id("taxonomy", vocabulary.key, code),
        "code": code,
        "name": name,
        "description": description or name,
        "taxonomy": str(vocabulary.name),
        "taxonomy_id": derived_id("taxonomy", vocabulary.key),
        "taxonomy_detail": taxonomy(vocabulary),
    }


def attribute(link_id, vocabulary, term, value=""):
    return without_empty(
        {
            "id": derived_id("attribute", link_id, vocabulary.key, term["code"]),
            "link_id": str(link_id),
            "link_type": vocabulary.key,
            "link_entity": "service",
            "taxonomy_term_id": term["id"],
            "taxonomy_term": term,
            "value": value,
        }
    )


def vocabulary_attributes(service):
    return [
        attribute(
            service.hsds_id, vocabulary, taxonomy_term(vocabulary, term.code, term.local_name, term.local_description)
        )
        for vocabulary in VOCABULARY_TAXONOMIES
        for term in getattr(service, vocabulary.relation).all()
    ]


def capacity_attributes(service):
    """The member's capacity (its organisation's, when the profile is linked to one) with the
    service's own capacity details."""
    status = service.page.capacity_status
    if status is None:
        if not service.capacity_notes:
            return []
        term = taxonomy_term(CAPACITY, "details", "Capacity details")
    else:
        term = taxonomy_term(CAPACITY, status.value, str(status.label))
    return [attribute(service.hsds_id, CAPACITY, term, service.capacity_notes)]


def staffing_attributes(service):
    attributes = [
        attribute(service.hsds_id, STAFFING, taxonomy_term(STAFFING, code, name), str(getattr(service, field)))
        for code, name, field in STAFFING_TERMS
        if getattr(service, field) is not None
    ]
    if service.training:
        term = taxonomy_term(STAFFING, "training", "Training of staff and volunteers")
        attributes.append(attribute(service.hsds_id, STAFFING, term, service.training))
    return attributes


def service_attributes(service):
    """The seven mapping dimensions of a service (DESIGN.md section 1), plus its accessibility."""
    return [*vocabulary_attributes(service), *capacity_attributes(service), *staffing_attributes(service)]


# Shared parts -------------------------------------------------------------------------------


def language(entry, **owner):
    """An HSDS language (ISO 639 code) of the one object named in `owner`, e.g. service_id=..., named
    in the active language (Django's own language names and catalogues, see `Language`)."""
    (owner_id,) = owner.values()
    return {"id": derived_id("language", owner_id, entry.code), **owner, "name": str(entry), "code": entry.code}


def helpline_description(helpline):
    parts = [helpline.label]
    if helpline.free:
        parts.append(gettext("Free to call"))
    if helpline.open_24_7:
        parts.append(gettext("Open 24/7"))
    if helpline.hours:
        parts.append(helpline.hours)
    return "".join(f"{part.strip().rstrip('.')}. " for part in parts).strip()


def phone(helpline, **owner):
    """A helpline as an HSDS phone of the one object named in `owner`."""
    (owner_id,) = owner.values()
    phone_id = derived_id("phone", owner_id, helpline.pk)
    return {
        "id": phone_id,
        **owner,
        "number": helpline.number,
        "type": "voice",
        "description": helpline_description(helpline),
        "languages": [language(item, phone_id=phone_id) for item in helpline.languages.all()],
    }


def address(view):
    """The address of a location's public view: empty street and postcode for a city-only one."""
    location_id = str(view["id"])
    return {
        "id": derived_id("address", location_id),
        "location_id": location_id,
        "address_1": view["address"],
        "city": view["city"],
        "state_province": "",
        "postal_code": view["postal_code"],
        "country": view["country"].code,
        "address_type": "physical",
    }


def location(view, organization_id):
    """An HSDS location from `MemberLocation.public_view()`, never from the location itself."""
    data = {
        "id": str(view["id"]),
        "location_type": "physical",
        "organization_id": str(organization_id),
        "name": view["name"],
        "addresses": [address(view)],
    }
    if view["latitude"] is not None and view["longitude"] is not None:
        data.update(latitude=float(view["latitude"]), longitude=float(view["longitude"]))
    return data


# Organizations ------------------------------------------------------------------------------


def organization_summary(page, *, url=None):
    """The one-to-one fields of a member profile, as in HSDS organization lists."""
    return without_empty(
        {
            "id": str(page.hsds_id),
            "name": page.title,
            "description": page.summary,
            "email": page.email,
            "website": page.website,
            "uri": url,
        }
    )


def organization_full(page, *, url=None):
    """A member profile with its phones, public locations and services (one-to-one fields)."""
    organization_id = page.hsds_id
    return {
        **organization_summary(page, url=url),
        "description": get_text_for_indexing(page.description) or page.summary,
        "phones": [phone(helpline, organization_id=str(organization_id)) for helpline in page.helplines.all()],
        "locations": [location(view, organization_id) for view in page.public_locations()],
        "services": [service_fields(service, url=url) for service in page.services.all()],
    }


# Services -----------------------------------------------------------------------------------


def service_fields(service, *, url=None):
    """The one-to-one fields of a service."""
    page = service.page
    return without_empty(
        {
            "id": str(service.hsds_id),
            "organization_id": str(page.hsds_id),
            "name": service.name,
            "description": service.description,
            "url": url,
            "email": page.email,
            "status": "active",
            "eligibility_description": service.eligibility,
            "fees_description": gettext("Free of charge.") if service.free_of_charge else gettext("Fees may apply."),
            "assured_date": page.last_verified.isoformat() if page.last_verified else None,
            "last_modified": page.last_published_at.isoformat() if page.last_published_at else None,
        }
    )


def service_summary(service, *, url=None):
    """A service as in HSDS service lists: its one-to-one fields and its organization."""
    return {**service_fields(service, url=url), "organization": organization_summary(service.page, url=url)}


def service_full(service, *, url=None):
    """A fully nested service: phones, schedules, areas, locations, languages, funding, attributes."""
    page = service.page
    service_id = str(service.hsds_id)
    return {
        **service_summary(service, url=url),
        "phones": [phone(helpline, service_id=service_id) for helpline in page.helplines.all()],
        "schedules": schedules(service),
        "service_areas": [service_area(service_id, country) for country in service.countries_served],
        "service_at_locations": [
            service_at_location(service_id, location(view, page.hsds_id)) for view in page.public_locations()
        ],
        "languages": [language(item, service_id=service_id) for item in service.languages.all()],
        "funding": funding(service),
        "attributes": service_attributes(service),
    }


def schedules(service):
    if not service.open_24_7:
        return []
    return [
        {
            "id": derived_id("schedule", service.hsds_id, "24/7"),
            "service_id": str(service.hsds_id),
            "freq": "WEEKLY",
            "byday": EVERY_DAY,
            "opens_at": "00:00",
            "closes_at": "23:59",
            "description": gettext("Open 24 hours a day, 7 days a week."),
        }
    ]


def service_area(service_id, country):
    return {
        "id": derived_id("service_area", service_id, country.code),
        "service_id": service_id,
        "name": str(country.name),
        "extent": country.code,
        "extent_type": "text",
    }


def service_at_location(service_id, location_):
    return {
        "id": derived_id("service_at_location", service_id, location_["id"]),
        "service_id": service_id,
        "location_id": location_["id"],
        "location": location_,
    }


def funding(service):
    service_id = str(service.hsds_id)
    sources = [(source.code, source.local_name) for source in service.funding_sources.all()]
    if service.funding_notes:
        sources.append(("notes", service.funding_notes))
    return [
        {"id": derived_id("funding", service_id, code), "service_id": service_id, "source": source}
        for code, source in sources
    ]


# Lists --------------------------------------------------------------------------------------


class PageOutOfRange(EmptyPage):
    def __init__(self, number, last):
        super().__init__(number)
        self.number = number
        self.last = last


def paginate(items, *, page_number, per_page, serialize):
    """The HSDS list envelope of page `page_number` (from 1) of `items`, or PageOutOfRange."""
    paginator = Paginator(items, per_page)
    try:
        page = paginator.page(page_number)
    except EmptyPage:
        raise PageOutOfRange(page_number, paginator.num_pages) from None
    contents = [serialize(item) for item in page.object_list]
    return {
        "total_items": paginator.count,
        "total_pages": paginator.num_pages,
        "page_number": page.number,
        "size": len(contents),
        "first_page": not page.has_previous(),
        "last_page": not page.has_next(),
        "empty": paginator.count == 0,
        "contents": contents,
    }
