"""Network administration for VSE staff (wagtail-modeladmin): allow, deny, bad input, query counts."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from vse_referrals import designations, permissions
from vse_referrals.models import ContactPoint, Language, Organisation, ReferralCase

from . import builders

pytestmark = pytest.mark.django_db

ORGANISATIONS_URL = reverse("vse_referrals_organisation_modeladmin_index")
CREATE_ORGANISATION_URL = reverse("vse_referrals_organisation_modeladmin_create")
CONTACT_POINTS_URL = reverse("vse_referrals_contactpoint_modeladmin_index")
CREATE_CONTACT_POINT_URL = reverse("vse_referrals_contactpoint_modeladmin_create")


def admin_datetime(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def superuser_client(client):
    client.force_login(builders.make_superuser())
    return client


def page_errors(response):
    return response.content.decode()


# Who may manage the network


@pytest.mark.parametrize(
    "url", [ORGANISATIONS_URL, CREATE_ORGANISATION_URL, CONTACT_POINTS_URL, CREATE_CONTACT_POINT_URL]
)
def test_superuser_and_network_admin_may_manage(client, network_admin, url):
    for user in (builders.make_superuser(), network_admin):
        client.force_login(user)
        assert client.get(url).status_code == 200


DENIED_ROLES = [
    "contact point of A",
    "deputy of A",
    "no organisation",
    "staff",
    "global referral permission only",
]


@pytest.fixture
def roles(roles):
    from django.contrib.auth.models import Permission

    user = builders.make_user("global-act-for")
    user.user_permissions.add(Permission.objects.get(codename="act_for_organisation"))
    return {**roles, "global referral permission only": user}


@pytest.mark.parametrize("role", DENIED_ROLES)
@pytest.mark.parametrize(
    "url", [ORGANISATIONS_URL, CREATE_ORGANISATION_URL, CONTACT_POINTS_URL, CREATE_CONTACT_POINT_URL]
)
def test_others_may_not_manage(client, roles, role, url):
    client.force_login(roles[role])
    response = client.get(url)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.url == reverse("wagtailadmin_home")


@pytest.mark.parametrize("role", DENIED_ROLES)
def test_others_may_not_edit_inspect_or_delete(client, roles, role, org_a):
    client.force_login(roles[role])
    for action in ("edit", "inspect", "delete"):
        url = reverse(f"vse_referrals_organisation_modeladmin_{action}", args=[org_a.pk])
        assert client.get(url).status_code in (302, 403)
    delete_url = reverse("vse_referrals_organisation_modeladmin_delete", args=[org_a.pk])
    client.post(delete_url)
    assert Organisation.objects.filter(pk=org_a.pk).exists()


def test_anonymous_is_sent_to_login(client):
    response = client.get(ORGANISATIONS_URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("wagtailadmin_login"))


def test_menu_shows_only_to_network_managers(client, roles, network_admin):
    client.force_login(network_admin)
    assert "Referral network" in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(roles["contact point of A"])
    assert "Referral network" not in client.get(reverse("wagtailadmin_home")).content.decode()
    client.force_login(roles["global referral permission only"])
    assert "Referral network" not in client.get(reverse("wagtailadmin_home")).content.decode()


# Organisations


def organisation_data(**overrides):
    data = {
        "name": "Slachtofferhulp Voorbeeld",
        "country": "NL",
        "accepts_referrals": "on",
        "capacity_status": "capacity",
        "languages": [Language.objects.get(code="nl").pk, Language.objects.get(code="en").pk],
    }
    data.update(overrides)
    return data


def test_create_organisation(superuser_client):
    response = superuser_client.post(CREATE_ORGANISATION_URL, organisation_data())
    assert response.status_code == 302
    organisation = Organisation.objects.get(name="Slachtofferhulp Voorbeeld")
    assert organisation.country.code == "NL"
    assert sorted(organisation.languages.values_list("code", flat=True)) == ["en", "nl"]
    assert organisation.contact_points_group.name.endswith("Slachtofferhulp Voorbeeld")


def test_organisation_without_country_keeps_input_and_explains(superuser_client):
    response = superuser_client.post(CREATE_ORGANISATION_URL, organisation_data(country=""))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Choose the country where the organisation is based." in html
    assert 'value="Slachtofferhulp Voorbeeld"' in html
    assert not Organisation.objects.filter(name="Slachtofferhulp Voorbeeld").exists()


def test_duplicate_organisation_name_is_refused(superuser_client, org_a):
    response = superuser_client.post(CREATE_ORGANISATION_URL, organisation_data(name="Organisation A"))
    assert response.status_code == 200
    assert "An organisation with this name already exists." in response.content.decode()
    assert Organisation.objects.filter(name="Organisation A").count() == 1


def test_invalid_country_code_is_refused(superuser_client):
    response = superuser_client.post(CREATE_ORGANISATION_URL, organisation_data(country="XX"))
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Organisation.objects.exists() or not Organisation.objects.filter(country="XX").exists()


def test_edit_organisation_bad_input_loses_nothing_saved(superuser_client, org_a):
    url = reverse("vse_referrals_organisation_modeladmin_edit", args=[org_a.pk])
    response = superuser_client.post(url, organisation_data(name=""))
    assert response.status_code == 200
    assert "Give the organisation&#x27;s name." in response.content.decode()
    org_a.refresh_from_db()
    assert org_a.name == "Organisation A" and org_a.country.code == "FR"


def test_inspect_lists_contact_points(superuser_client, org_a):
    builders.designate(builders.make_user("camille", first_name="Camille"), org_a)
    response = superuser_client.get(reverse("vse_referrals_organisation_modeladmin_inspect", args=[org_a.pk]))
    html = response.content.decode()
    assert "Camille Tester" in html and "Primary point of contact" in html
    assert f"{CREATE_CONTACT_POINT_URL}?organisation={org_a.pk}" in html


def test_listing_search_and_country_filter(superuser_client, org_a, org_b):
    html = superuser_client.get(ORGANISATIONS_URL, {"country": "SE"}).content.decode()
    assert "Organisation B" in html and "Organisation A" not in html
    html = superuser_client.get(ORGANISATIONS_URL, {"q": "tion B"}).content.decode()
    assert "Organisation B" in html and "Organisation A" not in html


def organisation_listing_queries(client, count):
    start = Organisation.objects.count()
    for index in range(start, start + count):
        organisation = builders.make_organisation(
            f"Listed organisation {index:03}", country=["FR", "SE", "US"][index % 3]
        )
        builders.make_contact_point(organisation)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(ORGANISATIONS_URL)
    assert response.status_code == 200
    return len(queries), response


def test_organisation_listing_query_count_is_constant(client):
    client.force_login(builders.make_superuser())
    few, _ = organisation_listing_queries(client, 5)
    many, response = organisation_listing_queries(client, 195)
    assert Organisation.objects.count() == 200
    assert "Listed organisation 099" in response.content.decode()
    assert few == many


def test_contact_point_listing_query_count_is_constant(client):
    client.force_login(builders.make_superuser())
    organisation_listing_queries(client, 5)
    with CaptureQueriesContext(connection) as few:
        client.get(CONTACT_POINTS_URL)
    organisation_listing_queries(client, 60)
    with CaptureQueriesContext(connection) as many:
        client.get(CONTACT_POINTS_URL)
    assert len(few) == len(many)


# Contact points


def contact_point_data(organisation, designated, **overrides):
    data = {
        "organisation": organisation.pk,
        "user": designated.pk,
        "role": "primary",
        "active_from": admin_datetime(timezone.now() - timedelta(minutes=5)),
        "active_until": "",
    }
    data.update(overrides)
    return data


def test_designating_grants_access_on_the_next_request_once_confirmed(superuser_client, org_a, network_admin):
    user = builders.make_user()
    response = superuser_client.post(CREATE_CONTACT_POINT_URL, contact_point_data(org_a, user))
    assert response.status_code == 302
    assert not permissions.actor_for_user(user).can_act_for(org_a)  # four eyes: a second person confirms
    designations.confirm(ContactPoint.objects.get(user=user), by=network_admin)
    assert permissions.actor_for_user(user).can_act_for(org_a)


def test_create_form_preselects_the_organisation(superuser_client, org_a):
    html = superuser_client.get(CREATE_CONTACT_POINT_URL, {"organisation": org_a.pk}).content.decode()
    assert f'<option value="{org_a.pk}" selected>' in html
    assert superuser_client.get(CREATE_CONTACT_POINT_URL, {"organisation": "not-a-number"}).status_code == 200


def test_duplicate_designation_shows_error_and_keeps_input(superuser_client, org_a, org_b):
    user = builders.make_user("twice", first_name="Twice")
    builders.designate(user, org_a)
    response = superuser_client.post(CREATE_CONTACT_POINT_URL, contact_point_data(org_b, user))
    assert response.status_code == 200
    html = response.content.decode()
    assert "already a contact point of Organisation A" in html
    assert f'<option value="{org_b.pk}" selected>' in html
    assert ContactPoint.objects.filter(user=user).count() == 1


def test_end_before_start_shows_error(superuser_client, org_a):
    now = timezone.now()
    data = contact_point_data(
        org_a,
        builders.make_user(),
        active_from=admin_datetime(now),
        active_until=admin_datetime(now - timedelta(days=2)),
    )
    response = superuser_client.post(CREATE_CONTACT_POINT_URL, data)
    assert response.status_code == 200
    assert "The end of the designation must be after its start." in response.content.decode()
    assert not ContactPoint.objects.exists()


def test_garbage_dates_and_missing_user_show_errors(superuser_client, org_a):
    data = contact_point_data(org_a, builders.make_user(), active_from="yesterday-ish", user="")
    response = superuser_client.post(CREATE_CONTACT_POINT_URL, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Choose the user to designate." in html
    assert "Enter a valid date and time." in html
    assert not ContactPoint.objects.exists()


def test_deputy_without_end_date_is_refused(superuser_client, org_a):
    response = superuser_client.post(
        CREATE_CONTACT_POINT_URL, contact_point_data(org_a, builders.make_user(), role="deputy")
    )
    assert "A deputy is designated for a limited time: give an end date." in response.content.decode()


def test_ending_a_designation_in_the_admin_removes_access(superuser_client, org_a):
    user = builders.make_user()
    designation = builders.designate(user, org_a, started_ago=timedelta(days=3))
    url = reverse("vse_referrals_contactpoint_modeladmin_edit", args=[designation.pk])
    data = contact_point_data(
        org_a,
        user,
        active_from=admin_datetime(designation.active_from),
        active_until=admin_datetime(timezone.now() - timedelta(minutes=1)),
    )
    response = superuser_client.post(url, data)
    assert response.status_code == 302, page_errors(response)
    assert not permissions.actor_for_user(user).can_act_for(org_a)


def test_the_user_of_a_designation_cannot_be_swapped(superuser_client, org_a):
    user = builders.make_user()
    designation = builders.designate(user, org_a, started_ago=timedelta(days=3))
    other = builders.make_user()
    url = reverse("vse_referrals_contactpoint_modeladmin_edit", args=[designation.pk])
    data = contact_point_data(org_a, other, active_from=admin_datetime(designation.active_from))
    superuser_client.post(url, data)
    designation.refresh_from_db()
    assert designation.user == user
    assert not permissions.actor_for_user(other).can_act_for(org_a)


def test_removing_a_designation_in_the_admin_removes_access(superuser_client, org_a):
    user = builders.make_user()
    designation = builders.designate(user, org_a)
    superuser_client.post(reverse("vse_referrals_contactpoint_modeladmin_delete", args=[designation.pk]))
    assert not ContactPoint.objects.exists()
    assert not permissions.actor_for_user(user).can_act_for(org_a)


def test_warns_when_the_designated_user_cannot_log_in_to_the_admin(superuser_client, org_a):
    user = builders.make_user("no-admin", admin_access=False)
    response = superuser_client.post(CREATE_CONTACT_POINT_URL, contact_point_data(org_a, user), follow=True)
    assert "cannot log in to the intranet admin yet" in response.content.decode()


def test_contact_point_listing_shows_status(superuser_client, org_a):
    builders.make_contact_point(org_a, username="current")
    builders.make_contact_point(
        org_a, ContactPoint.Role.DEPUTY, username="gone", started_ago=timedelta(days=60), ends_in=-timedelta(days=2)
    )
    html = superuser_client.get(CONTACT_POINTS_URL).content.decode()
    assert "Active" in html and "Ended" in html


def test_an_organisation_that_referrals_refer_to_is_not_deleted(superuser_client, sender, org_b):
    builders.sent_case(sender, org_b)
    organisation = builders.acting(sender).organisation
    url = reverse("vse_referrals_organisation_modeladmin_delete", args=[organisation.pk])

    response = superuser_client.post(url, follow=True)

    assert response.status_code == 200
    assert "cannot be deleted: referrals refer to it" in response.content.decode()
    assert Organisation.objects.filter(pk=organisation.pk).exists()


def test_the_overviews_case_views_read_metadata_only(client):
    """Its log page resolves the case as the listing does: no personal column is read (nor
    decrypted), and a draft is not there at all."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from vse_referrals.crypto import EncryptedTextField

    org_a, org_b = builders.make_organisation("Overview A"), builders.make_organisation("Overview B", country="SE")
    sender = builders.make_contact_point(org_a, username="overview-sender")
    sent = builders.sent_case(sender, org_b)
    draft = builders.make_case(org_a, org_b, created_by=sender)
    client.force_login(builders.make_superuser("overview-admin"))
    personal = [f'"{f.column}"' for f in ReferralCase._meta.concrete_fields if isinstance(f, EncryptedTextField)]
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("vse_referrals_referralcase_modeladmin_history", args=[sent.pk]))
    assert response.status_code == 200
    read = [query["sql"] for query in queries if '"vse_referrals_referralcase"' in query["sql"]]
    assert read and not [column for sql in read for column in personal if column in sql]
    assert client.get(reverse("vse_referrals_referralcase_modeladmin_history", args=[draft.pk])).status_code == 404
    assert client.get(reverse("vse_referrals_referralcase_modeladmin_edit", args=["not-a-uuid"])).status_code == 404
