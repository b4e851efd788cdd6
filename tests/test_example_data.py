"""The example intranet's demo data command."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from wagtail.models import Locale, Site

from intranet.management.commands.load_example_data import CONTACT_POINTS, DEMO_PASSWORD
from intranet.models import HomePage
from vse_referrals import permissions
from vse_referrals.models import (
    ContactPoint,
    MemberDirectoryPage,
    MemberOrganisationPage,
    Organisation,
    ReferralCase,
    Status,
)

pytestmark = pytest.mark.django_db

EU = {
    "AT",
    "BE",
    "BG",
    "HR",
    "CY",
    "CZ",
    "DK",
    "EE",
    "FI",
    "FR",
    "DE",
    "GR",
    "HU",
    "IE",
    "IT",
    "LV",
    "LT",
    "LU",
    "MT",
    "NL",
    "PL",
    "PT",
    "RO",
    "SK",
    "SI",
    "ES",
    "SE",
}


def load(capsys):
    call_command("load_example_data")
    return capsys.readouterr().out


def test_loads_organisations_accounts_and_designations(capsys):
    output = load(capsys)
    countries = set(Organisation.objects.values_list("country", flat=True))
    assert Organisation.objects.count() >= 5 and len(countries) == Organisation.objects.count()
    assert countries - EU, "at least one member outside the EU"
    assert ContactPoint.objects.filter(role=ContactPoint.Role.DEPUTY, active_until__isnull=False).exists()
    user_model = get_user_model()
    assert user_model.objects.get(username="admin").is_superuser
    editor = user_model.objects.get(username="editor")
    assert set(editor.groups.values_list("name", flat=True)) == {"Editors", "Moderators"}  # edits and publishes
    directory = MemberDirectoryPage.objects.get(locale=Locale.get_default())
    assert directory.permissions_for_user(editor).can_publish_subpage()
    assert DEMO_PASSWORD in output and "poc.us" in output
    assert isinstance(Site.objects.get(is_default_site=True).root_page.specific, HomePage)


def test_the_demo_directory_is_in_french_and_spanish_partly_translated(capsys, client):
    load(capsys)
    english = MemberDirectoryPage.objects.get(locale=Locale.get_default())
    for code, title in (("fr", "Trouver une aide aux victimes"), ("es", "Encontrar apoyo a las víctimas")):
        directory = english.get_translation(Locale.objects.get(language_code=code))
        assert directory.title == title and directory.url == f"/{code}{english.url}"
        profiles = MemberOrganisationPage.objects.child_of(directory).live()
        assert profiles.count() == MemberOrganisationPage.objects.child_of(english).live().count()
        translated = profiles.filter(alias_of__isnull=True)
        assert 0 < translated.count() < profiles.count()  # some left untranslated, to show the fallback
        assert client.get(directory.url).status_code == 200


def test_demo_referrals_cover_every_status_and_a_purged_case(capsys):
    load(capsys)
    assert set(ReferralCase.objects.values_list("status", flat=True)) == set(Status.values)
    purged = ReferralCase.objects.get(purged_at__isnull=False)
    assert (purged.status, purged.name, purged.phone) == (Status.CANCELLED, "", "")
    assert all(case.name for case in ReferralCase.objects.filter(purged_at__isnull=True))  # the others keep theirs


def test_is_idempotent(capsys):
    load(capsys)
    counts = (Organisation.objects.count(), ContactPoint.objects.count(), get_user_model().objects.count())
    load(capsys)
    assert (Organisation.objects.count(), ContactPoint.objects.count(), get_user_model().objects.count()) == counts


def test_each_demo_contact_point_acts_for_exactly_its_organisation(capsys):
    load(capsys)
    user_model = get_user_model()
    for username, *_ in CONTACT_POINTS:
        assert permissions.organisations_for_user(user_model.objects.get(username=username)).count() == 1
    for username in ("admin", "editor", "former.de"):
        assert not permissions.organisations_for_user(user_model.objects.get(username=username)).exists()


@pytest.mark.parametrize("username", ["admin", "editor", "poc.se", "deputy.fr", "poc.us"])
def test_demo_accounts_log_in_to_the_admin(client, capsys, username):
    load(capsys)
    response = client.post(reverse("wagtailadmin_login"), {"username": username, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_the_demo_shows_one_designation_awaiting_confirmation(client, capsys):
    output = load(capsys)
    load(capsys)  # run again: still one, still pending
    pending = ContactPoint.objects.pending().select_related("user", "organisation", "proposed_by").get()
    assert (pending.user.username, pending.proposed_by.username) == ("deputy.pt", "admin")
    assert not permissions.organisations_for_user(pending.user).exists()
    assert "deputy.pt" in output
    client.force_login(get_user_model().objects.get(username="poc.pt"))
    assert (
        reverse("vse_referrals:confirm_designation", args=[pending.pk])
        in client.get(reverse("wagtailadmin_home")).content.decode()
    )


def test_demo_gives_every_chart_of_the_statistics_something_to_show(capsys, client):
    load(capsys)
    today = timezone.localdate()
    start = (today - timedelta(days=330)).replace(day=1)
    client.force_login(get_user_model().objects.get(username="admin"))
    response = client.get(
        reverse("vse_referrals_statistics"), {"period": "custom", "start": f"{start:%Y-%m}", "end": f"{today:%Y-%m}"}
    )
    assert response.status_code == 200
    for figure in response.context["figures"]:
        assert figure["charts"], figure["table"].key
        shown = [cell for row in figure["table"].rows for cell in row.cells.values() if cell.shown and cell.value]
        assert len(shown) >= 2, figure["table"].key
    months = [row for row in response.context["report"].tables()[0].rows if row.cells["sent"].value]
    assert len(months) >= 10  # referrals in (nearly) every month of the year
