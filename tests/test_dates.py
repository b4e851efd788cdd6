"""One format of dates and times everywhere (`vse_referrals.dates`): "1 Dec 2026, 06:59 CET" in
the reader's time zone, with the zone; days as "1 Dec 2026". Time zones, summer time, the user's
preference in the admin and the recipient's in e-mails."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from wagtail.users.models import UserProfile

from vse_referrals import workflow
from vse_referrals.dates import format_day, format_moment

from . import builders

UTC = datetime.timezone.utc


def at(*args):
    return datetime.datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "zone, moment, expected",
    [
        ("Europe/Brussels", at(2026, 12, 1, 5, 59), "1 Dec 2026, 06:59 CET"),
        ("Europe/Brussels", at(2026, 7, 1, 5, 59), "1 Jul 2026, 07:59 CEST"),
        ("Europe/Lisbon", at(2026, 12, 1, 5, 59), "1 Dec 2026, 05:59 WET"),
        ("UTC", at(2026, 12, 1, 5, 59), "1 Dec 2026, 05:59 UTC"),
        ("America/New_York", at(2026, 12, 1, 5, 59), "1 Dec 2026, 00:59 EST"),
        # Summer time starts in the EU at 01:00 UTC on the last Sunday of March (29 Mar 2026).
        ("Europe/Brussels", at(2026, 3, 29, 0, 59), "29 Mar 2026, 01:59 CET"),
        ("Europe/Brussels", at(2026, 3, 29, 1, 0), "29 Mar 2026, 03:00 CEST"),
        # ...and ends at 01:00 UTC on the last Sunday of October: 02:30 happens twice, told apart.
        ("Europe/Brussels", at(2026, 10, 25, 0, 30), "25 Oct 2026, 02:30 CEST"),
        ("Europe/Brussels", at(2026, 10, 25, 1, 30), "25 Oct 2026, 02:30 CET"),
    ],
)
def test_a_moment_in_the_current_time_zone_with_the_zone(zone, moment, expected):
    with timezone.override(zone):
        assert format_moment(moment) == expected


def test_a_day_is_the_date_in_the_current_time_zone_without_time():
    late_evening = at(2026, 11, 30, 23, 30)
    with timezone.override("Europe/Brussels"):
        assert format_day(late_evening) == "1 Dec 2026"
    with timezone.override("Europe/Lisbon"):
        assert format_day(late_evening) == "30 Nov 2026"
    assert format_day(datetime.date(2026, 12, 1)) == "1 Dec 2026"
    assert format_moment(datetime.date(2026, 12, 1)) == "1 Dec 2026"


def test_nothing_reads_as_nothing():
    assert format_moment(None) == format_day(None) == format_moment("") == ""


@pytest.mark.parametrize("language", ["fr", "de"])
def test_other_languages_keep_the_day_month_year_order(language):
    with translation.override(language), timezone.override("Europe/Brussels"):
        text = format_moment(at(2026, 12, 1, 5, 59))
    assert re.fullmatch(r"1 \w+\.? 2026, 06:59 CET", text), text
    assert "/" not in text


# The user's preference in the admin, the recipient's in e-mails ------------------------------------


@pytest.fixture
def case(sender, receiver):
    case = builders.sent_case(sender, builders.acting(receiver).organisation)
    case.sent_at = at(2026, 12, 1, 5, 59)
    case.save(update_fields=["sent_at"])
    return case


def expected(moment, zone):
    """The format spelled out by the standard library, for a moment the test does not choose."""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.day} {local:%b %Y, %H:%M} {local.tzname()}"


def prefer_time_zone(user, zone):
    profile = UserProfile.get_for_user(user)
    profile.current_time_zone = zone
    profile.save()


def test_the_case_page_shows_times_in_the_users_time_zone(client, case, sender, settings):
    settings.TIME_ZONE = "Europe/Brussels"
    client.force_login(sender)
    url = reverse("vse_referrals:case", args=[case.pk])
    assert "1 Dec 2026, 06:59 CET" in client.get(url).content.decode()
    prefer_time_zone(sender, "Europe/Lisbon")
    page = client.get(url).content.decode()
    assert "1 Dec 2026, 05:59 WET" in page
    assert "06:59 CET" not in page


def test_the_inbox_shows_deadlines_in_the_users_time_zone(client, case, receiver):
    prefer_time_zone(receiver, "Europe/Helsinki")
    client.force_login(receiver)
    page = client.get(reverse("vse_referrals:inbox"), {"tab": "incoming"}).content.decode()
    assert expected(case.respond_by, "Europe/Helsinki") in page


def test_an_email_shows_the_deadline_in_the_recipients_time_zone(sender, receiver, django_capture_on_commit_callbacks):
    prefer_time_zone(receiver, "Europe/Lisbon")
    case = builders.make_case(builders.acting(sender).organisation, builders.acting(receiver).organisation)
    with django_capture_on_commit_callbacks(execute=True):
        case = workflow.perform(case, "send", builders.acting(sender))
    (message,) = [message for message in mail.outbox if message.to == [receiver.email]]
    assert expected(case.respond_by, "Europe/Lisbon") in message.body
