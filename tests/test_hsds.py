"""The machine-readable directory: HSDS 3.0 payloads validated against the official schemas.

The schemas are the copies in tests/data/hsds-3.0 (CC BY-SA 4.0, "Human Services Data
Specification: an Open Referral resource (https://openreferral.org/)"); references between
them resolve from those files only, so validation needs no network.
"""

import json
import uuid
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from vse_referrals import hsds
from vse_referrals.views import directory_api

from . import builders
from .builders import CITY_ONLY, HIDDEN, make_directory, make_example_directory, make_member, make_service

pytestmark = pytest.mark.django_db

SCHEMA_DIR = Path(__file__).resolve().parent / "data" / "hsds-3.0" / "schema"
SCHEMA_BASE = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/"
# Fields the HSDS API adds to an object schema: an organization by id lists its services.
API_EXTRAS = {"organization": {"services"}}


def _hsds_properties(validator, properties, instance, schema):
    """`properties`, and no field an HSDS object schema does not define (HSDS schemas allow any)."""
    yield from Draft202012Validator.VALIDATORS["properties"](validator, properties, instance, schema)
    if "name" in schema and validator.is_type(instance, "object"):
        for key in sorted(instance.keys() - properties.keys() - API_EXTRAS.get(schema["name"], set())):
            yield ValidationError(f"{key!r} is not a field of HSDS {schema['name']}")


HSDSValidator = validators.extend(Draft202012Validator, {"properties": _hsds_properties})


def _registry():
    resources = [
        (
            SCHEMA_BASE + path.relative_to(SCHEMA_DIR).as_posix(),
            DRAFT202012.create_resource(json.loads(path.read_text())),
        )
        for path in sorted(SCHEMA_DIR.glob("**/*.json"))
    ]
    return Registry().with_resources(resources)


REGISTRY = _registry()


def _openapi_response(path):
    pointer = path.replace("~", "~0").replace("/", "~1")
    return f"{SCHEMA_BASE}openapi.json#/paths/{pointer}/get/responses/200/content/application~1json/schema"


def validate(payload, schema_ref):
    validator = HSDSValidator(
        {"$ref": schema_ref}, registry=REGISTRY, format_checker=Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(payload), key=lambda error: list(error.absolute_path))
    assert not errors, "\n".join(f"{list(error.absolute_path)}: {error.message}" for error in errors)


@pytest.fixture
def example():
    return make_example_directory()


def api(client, directory, path="", **params):
    return client.get(f"{directory.url}api/{path}", params)


def payload_text(response):
    return json.dumps(response.json(), ensure_ascii=False) + response.content.decode()


# Validation against the HSDS schemas -------------------------------------------------------


def test_root_describes_the_hsds_version(client, example):
    response = api(client, example["directory"])
    assert response.status_code == 200
    assert response.json()["version"] == "3.0"
    validate(response.json(), _openapi_response("/"))


@pytest.mark.parametrize("full", [False, True])
def test_service_list_validates(client, example, full):
    response = api(client, example["directory"], "services/", **({"full": "true"} if full else {}))
    assert response.status_code == 200
    envelope = response.json()
    if full:  # fully nested services, which the list schema (one-to-one fields) does not describe
        for service in envelope.pop("contents"):
            validate(service, SCHEMA_BASE + "service.json")
        envelope["contents"] = []
    validate(envelope, _openapi_response("/services"))


def test_service_by_id_validates_and_carries_every_dimension(client, example):
    response = api(client, example["directory"], f"services/{example['general'].hsds_id}/")
    assert response.status_code == 200
    service = response.json()
    validate(service, SCHEMA_BASE + "service.json")
    assert service["organization_id"] == str(example["lyon"].hsds_id)
    assert service["organization"]["name"] == "Aide aux Victimes Lyon"
    assert {language["code"] for language in service["languages"]} == {"fr", "en"}
    assert {area["extent"] for area in service["service_areas"]} == {"FR", "BE"}
    assert [phone["number"] for phone in service["phones"]] == ["116 006"]
    assert service["schedules"][0]["byday"] == "MO,TU,WE,TH,FR,SA,SU"
    assert service["assured_date"] == "2026-01-15"
    assert {item["source"] for item in service["funding"]} == {"National government", "Ministry of Justice grant"}
    terms = {(item["link_type"], item["taxonomy_term"]["code"]) for item in service["attributes"]}
    assert terms >= {
        ("assistance-forms", "emotional-support"),
        ("victim-types", "all-victims-of-crime"),
        ("outreach-channels", "referral-by-the-police"),
        ("access-channels", "phone-helpline"),
        ("capacity", "details"),  # a profile linked to no organisation: its service's capacity details only
        ("staffing", "paid-staff"),
        ("staffing", "volunteers"),
        ("staffing", "training"),
        ("funding-sources", "national-government"),
        ("accessibility", "sign-language"),
    }


def test_organization_list_validates(client, example):
    response = api(client, example["directory"], "organizations/")
    assert response.status_code == 200
    validate(response.json(), _openapi_response("/organizations"))
    assert [item["name"] for item in response.json()["contents"]] == ["Aide aux Victimes Lyon", "Opferhilfe Köln"]


def test_organization_by_id_validates(client, example):
    response = api(client, example["directory"], f"organizations/{example['lyon'].hsds_id}/")
    assert response.status_code == 200
    organization = response.json()
    validate(organization, SCHEMA_BASE + "organization.json")
    for service in organization["services"]:
        validate(service, SCHEMA_BASE + "service.json")
    assert organization["description"] == "Founded in 1986, we help victims & families."
    assert [service["name"] for service in organization["services"]] == [
        "General support for victims",
        "Court accompaniment",
    ]
    assert organization["phones"][0]["organization_id"] == organization["id"]


def test_links_point_to_the_address_the_api_was_asked_at(client, example):
    # The site may be configured as "localhost" while the API is reached under another name.
    lyon = example["lyon"]
    for host in ("testserver", "localhost:8000"):
        response = client.get(f"{example['directory'].url}api/organizations/{lyon.hsds_id}/", HTTP_HOST=host)
        organization = response.json()
        assert organization["uri"] == f"http://{host}{lyon.url}"
        assert {service["url"] for service in organization["services"]} == {f"http://{host}{lyon.url}"}
        listed = client.get(f"{example['directory'].url}api/services/", HTTP_HOST=host).json()["contents"]
        assert listed and all(service["url"].startswith(f"http://{host}/") for service in listed)


def test_responses_are_public_and_cacheable(client, example):
    response = api(client, example["directory"], "services/")
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Content-Type"] == "application/json"


def test_only_get_is_allowed(client, example):
    response = client.post(f"{example['directory'].url}api/services/")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_derived_ids_are_stable(client, example):
    first = api(client, example["directory"], f"services/{example['court'].hsds_id}/").json()
    second = api(client, example["directory"], f"services/{example['court'].hsds_id}/").json()
    assert first == second
    (victim_type,) = [item for item in first["attributes"] if item["link_type"] == "victim-types"]
    expected = uuid.uuid5(hsds.NAMESPACE, "taxonomy/victim-types/domestic-violence")
    assert victim_type["taxonomy_term"]["id"] == str(expected)
    assert victim_type["taxonomy_term"]["taxonomy_id"] == str(uuid.uuid5(hsds.NAMESPACE, "taxonomy/victim-types"))


# Pagination --------------------------------------------------------------------------------


def test_second_page(client, example):
    envelope = api(client, example["directory"], "services/", per_page=1, page=2).json()
    assert {key: value for key, value in envelope.items() if key != "contents"} == {
        "total_items": 3,
        "total_pages": 3,
        "page_number": 2,
        "size": 1,
        "first_page": False,
        "last_page": False,
        "empty": False,
    }
    assert [service["name"] for service in envelope["contents"]] == ["Court accompaniment"]


def test_last_page_and_default_page(client, example):
    assert api(client, example["directory"], "services/", per_page=2, page=2).json()["last_page"] is True
    envelope = api(client, example["directory"], "services/").json()
    assert (envelope["page_number"], envelope["size"], envelope["first_page"]) == (1, 3, True)


def test_per_page_is_bounded(client, example, monkeypatch):
    monkeypatch.setattr(directory_api, "MAX_PER_PAGE", 2)
    envelope = api(client, example["directory"], "services/", per_page=1000).json()
    assert (envelope["size"], envelope["total_pages"]) == (2, 2)


@pytest.mark.parametrize(
    "params",
    [
        {"page": "abc"},
        {"page": "0"},
        {"page": "-1"},
        {"page": "1.5"},
        {"page": "4"},
        {"per_page": "0"},
        {"per_page": "x"},
    ],
)
def test_bad_page_numbers_are_a_clear_400(client, example, params):
    response = api(client, example["directory"], "services/", **params)
    assert response.status_code == 400
    assert response.json()["error"]
    assert response.json()["parameter"] == next(iter(params))


def test_an_empty_result_is_one_empty_page(client, example):
    envelope = api(client, example["directory"], "services/", search="zzzznothing").json()
    assert envelope | {"contents": None} == {
        "total_items": 0,
        "total_pages": 1,
        "page_number": 1,
        "size": 0,
        "first_page": True,
        "last_page": True,
        "empty": True,
        "contents": None,
    }
    assert envelope["contents"] == []


# Filters, like the public page --------------------------------------------------------------


def _service_names(client, directory, **params):
    response = api(client, directory, "services/", **params)
    assert response.status_code == 200, response.content
    return sorted(service["name"] for service in response.json()["contents"])


@pytest.mark.parametrize(
    "params, expected",
    [
        ({}, ["Court accompaniment", "Fraud advice", "General support for victims"]),
        ({"country": "DE"}, ["Fraud advice"]),
        ({"victim_type": "domestic-violence"}, ["Court accompaniment"]),
        ({"language": "de"}, ["Fraud advice"]),
        ({"language": "en"}, ["General support for victims"]),
        ({"open_24_7": "true"}, ["General support for victims"]),
        ({"assistance": "court-accompaniment", "country": "FR"}, ["Court accompaniment"]),
        ({"access": "walk-in-centre"}, ["General support for victims"]),
        ({"accessibility": "sign-language"}, ["General support for victims"]),
        ({"search": "Betrug"}, ["Fraud advice"]),  # in the member's summary
        ({"search": "accompaniment"}, ["Court accompaniment"]),  # in the service's name
    ],
)
def test_service_filters(client, example, params, expected):
    assert _service_names(client, example["directory"], **params) == expected


def test_organization_filters(client, example):
    response = api(client, example["directory"], "organizations/", victim_type="fraud-and-cybercrime")
    assert [item["name"] for item in response.json()["contents"]] == ["Opferhilfe Köln"]


@pytest.mark.parametrize("params", [{"country": "ZZ"}, {"victim_type": "unknown-term"}, {"language": "xx"}])
def test_bad_filters_are_a_clear_400(client, example, params):
    response = api(client, example["directory"], "services/", **params)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == list(params)


# Unknown and unpublished --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["services", "organizations"])
def test_unknown_ids_are_a_json_404(client, example, kind):
    response = api(client, example["directory"], f"{kind}/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert response.json()["error"]


@pytest.mark.parametrize("path", ["services/not-a-uuid/", "organizations/123/", "taxonomies/", "services/x/y/"])
def test_other_api_paths_are_a_json_404(client, example, path):
    response = api(client, example["directory"], path)
    assert response.status_code == 404
    assert response.json()["error"]


def test_unpublished_members_are_not_published(client, example):
    directory = example["directory"]
    assert api(client, directory, f"services/{example['draft_service'].hsds_id}/").status_code == 404
    assert api(client, directory, f"organizations/{example['draft'].hsds_id}/").status_code == 404
    for path in ("services/?full=true", "organizations/"):
        assert "Draft" not in api(client, directory, path).content.decode()


def test_services_of_another_directory_are_not_found(client, example):
    other = make_directory("Other directory", "other-directory")
    assert api(client, other, f"services/{example['general'].hsds_id}/").status_code == 404
    assert api(client, other, "services/").json()["total_items"] == 0


# Locations ----------------------------------------------------------------------------------


def test_hidden_locations_never_appear(client, example):
    directory, lyon = example["directory"], example["lyon"]
    responses = [
        api(client, directory, "services/"),
        api(client, directory, "services/", full="true"),
        api(client, directory, f"services/{example['general'].hsds_id}/"),
        api(client, directory, f"services/{example['court'].hsds_id}/"),
        api(client, directory, "organizations/"),
        api(client, directory, f"organizations/{lyon.hsds_id}/"),
        client.get(f"{directory.url}api/map/"),
    ]
    hidden_id = str(lyon.locations.get(name=HIDDEN["name"]).hsds_id)
    for response in responses:
        assert response.status_code == 200
        text = payload_text(response)
        for value in (*HIDDEN.values(), hidden_id):
            assert value not in text


def test_city_only_locations_have_no_street_postcode_or_coordinates(client, example):
    organization = api(client, example["directory"], f"organizations/{example['lyon'].hsds_id}/").json()
    locations = {location["name"]: location for location in organization["locations"]}
    assert set(locations) == {"Lyon office", CITY_ONLY["name"]}
    city_only = locations[CITY_ONLY["name"]]
    assert "latitude" not in city_only and "longitude" not in city_only
    assert city_only["addresses"][0] | {"id": None, "location_id": None} == {
        "id": None,
        "location_id": None,
        "address_1": "",
        "city": "Villeurbanne",
        "state_province": "",
        "postal_code": "",
        "country": "FR",
        "address_type": "physical",
    }
    exact = locations["Lyon office"]
    assert (exact["latitude"], exact["addresses"][0]["postal_code"]) == (45.764, "69001")
    service = api(client, example["directory"], f"services/{example['general'].hsds_id}/")
    assert CITY_ONLY["address"] not in payload_text(service)
    assert CITY_ONLY["postal_code"] not in payload_text(service)


# Map data -----------------------------------------------------------------------------------


def test_map_data_counts_services_per_area(client, example):
    directory = example["directory"]
    data = client.get(f"{directory.url}api/map/").json()
    assert data["areas"] == {"FR": 2, "DE": 1}
    assert data["members"] == [
        {"title": "Opferhilfe Köln", "url": example["cologne"].url, "area": "DE"},
        {"title": "Aide aux Victimes Lyon", "url": example["lyon"].url, "area": "FR"},
    ]
    filtered = client.get(f"{directory.url}api/map/", {"q": "Betrug"}).json()
    assert filtered == {"areas": {"DE": 1}, "members": [data["members"][0]]}
    # Like the page's map: the country filter narrows the members, not the areas one can choose.
    in_france = client.get(f"{directory.url}api/map/", {"country": "FR"}).json()
    assert in_france == {"areas": {"FR": 2, "DE": 1}, "members": [data["members"][1]]}


# Queries ------------------------------------------------------------------------------------


def _count_queries(client, url):
    client.get(url)  # warm the site and content type caches
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), response.json()


@pytest.mark.parametrize(
    "path, listed, expected",
    [
        ("services/?per_page=100", "contents", 100),
        ("services/?per_page=100&full=true", "contents", 100),
        ("organizations/", "contents", 50),  # one page of the default size
        ("map/", "members", 100),
    ],
)
def test_queries_do_not_grow_with_members(client, path, listed, expected):
    directory = make_directory()
    url = f"{directory.url}api/{path}"

    def add_members(count):
        for _ in range(count):
            page = make_member(directory, country="SE")
            make_service(page, "Support", victims=["all-victims-of-crime"], languages=["sv", "en"])

    add_members(5)
    few, few_payload = _count_queries(client, url)
    add_members(95)
    many, many_payload = _count_queries(client, url)
    assert (len(few_payload[listed]), len(many_payload[listed])) == (5, expected)
    assert few == many


def test_capacity_is_the_organisation_s_for_every_service(client, example):
    """One field for a member's capacity: its organisation's, which the referral system edits."""
    lyon = example["lyon"]
    lyon.organisation = builders.make_organisation("Lyon", capacity_status="waitlist")
    lyon.save()
    response = api(client, example["directory"], f"services/{example['general'].hsds_id}/")
    (capacity,) = [item for item in response.json()["attributes"] if item["link_type"] == "capacity"]
    assert capacity["taxonomy_term"]["code"] == "waitlist"
    assert capacity["value"] == "Answer within a day"
