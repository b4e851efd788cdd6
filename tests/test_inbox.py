"""The inbox listing, the dashboard panel and the menu item of contact points.

Which case shows on which tab to which side, filters, search, pagination, urgency order, overdue
highlighting, who sees the panel and the menu count, and query counts that do not grow with the
number of cases.
"""

import json
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from wagtail.users.models import UserProfile

from vse_referrals import workflow
from vse_referrals.models import Priority, ReferralCase, Status

from . import builders

pytestmark = pytest.mark.django_db

INBOX_URL = reverse("vse_referrals:inbox")
# The listing's results alone: what the header's search and filters fetch to refresh the page.
RESULTS_URL = reverse("vse_referrals:inbox_results")
HOME_URL = reverse("wagtailadmin_home")
TABS = ("action", "incoming", "outgoing", "drafts", "closed")


# Helpers ---------------------------------------------------------------------------------------


def soup(response):
    assert response.status_code == 200
    return BeautifulSoup(response.content, "html.parser")


def rows(table):
    """(reference, is overdue) for each row of a case table."""
    if table is None:
        return []
    return [
        (row.find("td").get_text(strip=True), "vse-row--overdue" in (row.get("class") or []))
        for row in table.select("tbody tr")
    ]


def listed(client, **params):
    """References listed by the inbox with these query parameters, in order."""
    page = soup(client.get(INBOX_URL, params))
    return [reference for reference, _overdue in rows(page.select_one("table.listing"))]


def search_form(page):
    """The search and filter form in the listing's header."""
    return page.find("form", attrs={"data-search-form": True})


def field_errors(page, name):
    """The errors shown at the filter `name`, in the header's filter menu."""
    return [error.get_text(" ", strip=True) for error in page.find(id=f"drilldown-id_{name}").select(".error-message")]


def listed_in(response):
    return [
        reference
        for reference, _overdue in rows(BeautifulSoup(response.content, "html.parser").select_one("table.listing"))
    ]


def panel(client):
    """The dashboard's referral panel, or None."""
    return soup(client.get(HOME_URL)).find(id="vse-referrals-inbox-section")


def panel_table(section, heading):
    title = section.find("h3", string=heading)
    following = title.find_next_sibling()
    return following.find("table") if following.name == "div" else None


def referrals_menu_label(client):
    """The label of the "referrals" item in the admin sidebar, or None when it is not shown."""
    props = soup(client.get(HOME_URL)).find("script", id="wagtail-sidebar-props")

    def find(node):
        if isinstance(node, dict):
            if node.get("name") == "referrals" and "label" in node:
                return node["label"]
            node = list(node.values())
        if isinstance(node, list):
            for child in node:
                found = find(child)
                if found is not None:
                    return found
        return None

    return find(json.loads(props.string))


def refs(*cases):
    return [case.reference for case in cases]


def open_as(user, case):
    return workflow.perform(case, "open", builders.acting(user))


# The cases of three members ----------------------------------------------------------------------


@pytest.fixture
def members(roles, org_a, org_b):
    """A (FR), B (SE) and C (DE) with one contact point each, and cases in every state."""
    org_c = builders.make_organisation("Organisation C-DE", country="DE")
    a, b = roles["contact point of A"], roles["contact point of B"]
    c = builders.make_contact_point(org_c, username="poc-c")

    a_to_b_new = builders.sent_case(a, org_b, priority="routine")
    a_to_b_hold = builders.sent_case(a, org_b, priority="urgent")
    workflow.perform(a_to_b_hold, "accept", builders.acting(b))
    workflow.perform(a_to_b_hold, "request_information", builders.acting(b), reason="Which city?")
    a_to_b_accepted = builders.sent_case(a, org_b, priority="urgent")
    workflow.perform(a_to_b_accepted, "accept", builders.acting(b))
    b_to_a_opened = open_as(a, builders.sent_case(b, org_a, priority="stat"))
    a_to_c_declined = builders.sent_case(a, org_c)
    workflow.perform(a_to_c_declined, "decline", builders.acting(c), reason="No capacity.")
    c_to_b_new = builders.sent_case(c, org_b)

    return {
        "a": a,
        "b": b,
        "c": c,
        "org_c": org_c,
        "a_to_b_new": a_to_b_new,
        "a_to_b_hold": a_to_b_hold,
        "a_to_b_accepted": a_to_b_accepted,
        "b_to_a_opened": b_to_a_opened,
        "a_to_c_declined": a_to_c_declined,
        "c_to_b_new": c_to_b_new,
        "a_draft": builders.make_case(org_a, org_b, created_by=a),
        "b_draft_to_a": builders.make_case(org_b, org_a, created_by=b),
    }


EXPECTED_TABS = {
    "a": {
        "action": {"a_to_b_hold", "b_to_a_opened"},
        "incoming": {"b_to_a_opened"},
        "outgoing": {"a_to_b_new", "a_to_b_hold", "a_to_b_accepted"},
        "drafts": {"a_draft"},
        "closed": {"a_to_c_declined"},
    },
    "b": {
        "action": {"a_to_b_new", "c_to_b_new"},
        "incoming": {"a_to_b_new", "a_to_b_hold", "a_to_b_accepted", "c_to_b_new"},
        "outgoing": {"b_to_a_opened"},
        "drafts": {"b_draft_to_a"},
        "closed": set(),
    },
}


@pytest.mark.parametrize("tab", TABS)
@pytest.mark.parametrize("side", ["a", "b"])
def test_each_tab_shows_the_right_cases(client, members, side, tab):
    client.force_login(members[side])
    expected = {members[name].reference for name in EXPECTED_TABS[side][tab]}
    shown = listed(client, tab=tab)
    assert len(shown) == len(set(shown))
    assert set(shown) == expected


def test_default_tab_is_needs_action_and_unknown_tab_falls_back(client, members):
    client.force_login(members["a"])
    expected = {members[name].reference for name in EXPECTED_TABS["a"]["action"]}
    assert set(listed(client)) == expected
    assert set(listed(client, tab="everything")) == expected


def test_another_members_cases_never_show(client, members):
    client.force_login(members["a"])
    all_listed = {reference for tab in TABS for reference in listed(client, tab=tab)}
    assert members["c_to_b_new"].reference not in all_listed
    assert members["b_draft_to_a"].reference not in all_listed


def test_rows_link_to_the_case_or_the_draft_form(client, members):
    client.force_login(members["a"])
    html = client.get(INBOX_URL, {"tab": "drafts"}).content.decode()
    assert reverse("vse_referrals:edit", args=[members["a_draft"].pk]) in html
    html = client.get(INBOX_URL, {"tab": "outgoing"}).content.decode()
    assert reverse("vse_referrals:case", args=[members["a_to_b_new"].pk]) in html


def test_listing_shows_no_personal_data(client, members):
    client.force_login(members["b"])
    for tab in TABS:
        html = client.get(INBOX_URL, {"tab": tab}).content.decode()
        for value in builders.PERSONAL_VALUES.values():
            assert value not in html, (tab, value)


# Only contact points have an inbox, and theirs only lists their organisation's cases ------------------

NOT_CONTACT_POINTS = [
    "superuser",
    "staff",
    "no organisation",
    "ended contact point of B",
    "scheduled contact point of B",
    "group member without designation",
    "global model permissions",
]


@pytest.mark.parametrize("url", [INBOX_URL, RESULTS_URL])
@pytest.mark.parametrize("who", NOT_CONTACT_POINTS)
def test_inbox_and_its_results_give_404_to_anyone_else(client, roles, members, url, who):
    client.force_login(roles[who])
    for params in ({}, {"tab": "incoming"}, {"tab": "closed", "q": "VSE", "overdue": "on"}):
        assert client.get(url, params).status_code == 404, params


def test_inbox_results_send_anonymous_users_to_login(client, members):
    response = client.get(RESULTS_URL, {"tab": "incoming"})
    assert response.status_code == 302 and response.url.startswith(reverse("wagtailadmin_login"))


def test_no_tab_and_filter_shows_a_case_between_two_other_members(client, members):
    # C's referral to B is overdue and matches A's partner countries, so any filter that let it
    # through would show it.
    ReferralCase.objects.filter(pk=members["c_to_b_new"].pk).update(respond_by=timezone.now() - timedelta(hours=1))
    foreign = {members["c_to_b_new"].reference, members["b_draft_to_a"].reference}
    visible_to_a = {members[name].reference for names in EXPECTED_TABS["a"].values() for name in names}
    filters = [
        {},
        {"overdue": "on"},
        {"q": "VSE"},
        {"q": members["c_to_b_new"].reference},
        *({"status": status} for status in Status.values),
        *({"priority": priority} for priority in Priority.values),
        *({"country": country} for country in ("FR", "SE", "DE")),
        {"country": "DE", "status": "requested", "priority": "routine", "overdue": "on"},
    ]
    client.force_login(members["a"])
    for tab in TABS:
        for params in filters:
            for url in (INBOX_URL, RESULTS_URL):
                shown = set(listed_in(client.get(url, {"tab": tab, **params})))
                assert shown <= visible_to_a and not shown & foreign, (url, tab, params)


# Filters and search ----------------------------------------------------------------------------


def test_status_filter(client, members):
    client.force_login(members["a"])
    assert listed(client, tab="outgoing", status="accepted") == refs(members["a_to_b_accepted"])
    assert listed(client, tab="outgoing", status="on-hold") == refs(members["a_to_b_hold"])
    assert listed(client, tab="outgoing", status="rejected") == []


def test_priority_filter(client, members):
    client.force_login(members["a"])
    assert listed(client, tab="outgoing", priority="routine") == refs(members["a_to_b_new"])
    assert set(listed(client, tab="outgoing", priority="urgent")) == set(
        refs(members["a_to_b_hold"], members["a_to_b_accepted"])
    )
    assert listed(client, tab="outgoing", priority="stat") == []


def test_partner_country_filter(client, members):
    client.force_login(members["a"])
    assert listed(client, tab="closed", country="DE") == refs(members["a_to_c_declined"])
    assert listed(client, tab="closed", country="SE") == []
    assert listed(client, tab="incoming", country="SE") == refs(members["b_to_a_opened"])
    # The partner's country, not one's own: A is in France.
    assert listed(client, tab="incoming", country="FR") == []
    assert len(listed(client, tab="outgoing", country="SE")) == 3


def test_overdue_filter_and_highlight(client, members):
    overdue = members["a_to_b_new"]
    ReferralCase.objects.filter(pk=overdue.pk).update(respond_by=timezone.now() - timedelta(hours=2))
    client.force_login(members["a"])
    assert listed(client, tab="outgoing", overdue="on") == refs(overdue)
    table = soup(client.get(INBOX_URL, {"tab": "outgoing"})).select_one("table.listing")
    flags = dict(rows(table))
    assert flags[overdue.reference] is True
    assert flags[members["a_to_b_accepted"].reference] is False


def test_contact_clock_counts_as_overdue_after_acceptance(client, members):
    accepted = members["a_to_b_accepted"]
    ReferralCase.objects.filter(pk=accepted.pk).update(contact_by=timezone.now() - timedelta(minutes=5))
    client.force_login(members["b"])
    assert listed(client, tab="incoming", overdue="on") == refs(accepted)
    workflow.perform(accepted, "record_contact", builders.acting(members["b"]))
    assert listed(client, tab="incoming", overdue="on") == []


def test_search_by_reference(client, members):
    client.force_login(members["a"])
    target = members["a_to_b_accepted"]
    assert listed(client, tab="outgoing", q=target.reference) == refs(target)
    assert listed(client, tab="outgoing", q=target.reference[-5:].lower()) == refs(target)
    assert listed(client, tab="outgoing", q="VSE-1999") == []
    # A victim's name is not searchable (it is encrypted and must not be matched).
    assert listed(client, tab="outgoing", q="Zofia") == []


def test_invalid_filters_do_not_break_the_page(client, members):
    client.force_login(members["a"])
    hostile = '"><script>alert(1)</script>'
    response = client.get(INBOX_URL, {"tab": "outgoing", "status": "bogus", "country": "XX", "q": hostile})
    page = soup(response)
    # The typed text comes back as the input's value, escaped: never as markup.
    assert search_form(page).find("input", attrs={"name": "q"})["value"] == hostile
    assert hostile not in response.content.decode()


def test_filter_form_keeps_the_chosen_values(client, members):
    client.force_login(members["a"])
    page = soup(client.get(INBOX_URL, {"tab": "closed", "country": "DE", "priority": "urgent", "q": "VSE"}))
    form = search_form(page)
    assert form.find("input", attrs={"name": "tab", "checked": True})["value"] == "closed"
    assert form.find("select", attrs={"name": "country"}).find("option", selected=True)["value"] == "DE"
    assert form.find("input", attrs={"name": "priority", "checked": True})["value"] == "urgent"
    assert form.find("input", attrs={"name": "q"})["value"] == "VSE"


# Every filter narrows outgoing referrals to A's on-hold one; with one of them invalid, the others
# still apply (an invalid tab falls back to "needs action").
ALL_FILTERS = {"tab": "outgoing", "status": "on-hold", "priority": "urgent", "country": "SE"}


@pytest.mark.parametrize(
    "name, value, expected",
    [
        ("tab", "everything", {"a_to_b_hold"}),
        ("status", "bogus", {"a_to_b_hold", "a_to_b_accepted"}),
        ("status", "on hold", {"a_to_b_hold", "a_to_b_accepted"}),
        ("priority", "asap", {"a_to_b_hold"}),
        ("country", "XX", {"a_to_b_hold"}),
        ("country", "se", {"a_to_b_hold"}),
    ],
)
def test_an_invalid_filter_shows_its_error_and_the_others_still_apply(client, members, name, value, expected):
    client.force_login(members["a"])
    params = {**ALL_FILTERS, name: value}
    response = client.get(INBOX_URL, params)
    page = soup(response)

    assert set(listed_in(response)) == {members[case].reference for case in expected}
    assert set(listed(client, tab="outgoing")) > set(listed_in(response))
    # At the field, in the filter menu, and above the results, where it is seen without opening the menu.
    assert field_errors(page, name) == [f"Select a valid choice. {value} is not one of the available choices."]
    alert = page.select_one("#listing-results [role=alert]").get_text(" ", strip=True)
    assert "These filters were left out" in alert and value in alert
    # The other filters are valid: no error at them.
    for other in ALL_FILTERS.keys() - {name}:
        assert field_errors(page, other) == []
    # The results the header's filters fetch say the same.
    assert set(listed_in(client.get(RESULTS_URL, params))) == {members[case].reference for case in expected}


def test_errors_are_translated(client, members):
    profile = UserProfile.get_for_user(members["a"])
    profile.preferred_language = "fr"
    profile.save()
    client.force_login(members["a"])
    page = soup(client.get(INBOX_URL, {"tab": "outgoing", "status": "bogus"}))
    assert field_errors(page, "status") == ["Sélectionnez un choix valide. bogus n’en fait pas partie."]
    alert = page.select_one("#listing-results [role=alert]").get_text(" ", strip=True)
    assert alert.startswith("Ces filtres n'ont pas été appliqués : Statut :")


def test_overdue_takes_any_ticked_value_and_nothing_else(client, members):
    overdue = members["a_to_b_new"]
    ReferralCase.objects.filter(pk=overdue.pk).update(respond_by=timezone.now() - timedelta(hours=2))
    client.force_login(members["a"])
    everything = listed(client, tab="outgoing")
    assert len(everything) == 3
    # A checkbox: whatever value is sent, it is ticked (browsers send "on"); "false" or nothing is unticked.
    for ticked in ("on", "true", "1", "<b>yes</b>"):
        assert listed(client, tab="outgoing", overdue=ticked) == refs(overdue), ticked
    for unticked in ("false", ""):
        assert listed(client, tab="outgoing", overdue=unticked) == everything, unticked


def test_search_takes_any_text_and_matches_only_references(client, members):
    client.force_login(members["a"])
    # Database wildcards are matched literally, not as "anything".
    for text in ("%", "_", "VSE-%", "\\", "x" * 500, "' OR 1=1 --"):
        response = client.get(INBOX_URL, {"tab": "outgoing", "q": text})
        assert listed_in(response) == [], text
    assert len(listed(client, tab="outgoing", q="  VSE  ")) == 3  # the search box trims spaces


def test_tabs_keep_the_filters_and_go_back_to_the_first_page(client, members, settings):
    settings.VSE_REFERRALS_INBOX_PAGE_SIZE = 1
    client.force_login(members["a"])
    page = soup(client.get(INBOX_URL, {"tab": "outgoing", "priority": "urgent", "p": "2"}))
    tabs = page.select("#listing-results nav .vse-tabs a")
    assert [tab.get_text(strip=True) for tab in tabs] == ["Needs action", "Incoming", "Outgoing", "Drafts", "Closed"]
    assert [tab.get("aria-current") for tab in tabs] == [None, None, "page", None, None]
    closed = tabs[4]["href"]
    assert closed.startswith(INBOX_URL + "?") and "tab=closed" in closed and "priority=urgent" in closed
    assert "p=" not in closed


def test_the_tab_is_no_filter_pill_but_the_filters_are(client, members):
    client.force_login(members["a"])
    page = soup(client.get(INBOX_URL, {"tab": "outgoing", "priority": "urgent"}))
    pills = [pill.get_text(" ", strip=True) for pill in page.select(".w-active-filters .w-pill__content")]
    assert pills == ["Priority: Urgent"]
    assert soup(client.get(INBOX_URL, {"tab": "outgoing"})).select(".w-active-filters .w-pill") == []


def test_results_are_the_listing_alone(client, members):
    client.force_login(members["a"])
    response = client.get(RESULTS_URL, {"tab": "outgoing", "priority": "urgent"})
    html = response.content.decode()
    assert "<html" not in html and 'id="listing-results"' not in html
    assert set(listed_in(response)) == set(refs(members["a_to_b_hold"], members["a_to_b_accepted"]))
    assert response["Cache-Control"] and "no-cache" in response["Cache-Control"]  # never_cache, as every case URL


# Pagination ------------------------------------------------------------------------------------


def test_pagination(client, members, settings):
    settings.VSE_REFERRALS_INBOX_PAGE_SIZE = 2
    client.force_login(members["b"])  # four incoming referrals
    first = listed(client, tab="incoming")
    second = listed(client, tab="incoming", p=2)
    assert len(first) == 2 and len(second) == 2
    assert set(first) | set(second) == {members[name].reference for name in EXPECTED_TABS["b"]["incoming"]}
    assert listed(client, tab="incoming", p=99) == second  # past the end: the last page
    assert listed(client, tab="incoming", p="abc") == first

    page = soup(client.get(INBOX_URL, {"tab": "incoming", "priority": ""}))
    next_link = page.select_one("nav.pagination li.next a")["href"]
    assert "tab=incoming" in next_link and "p=2" in next_link


def test_pagination_keeps_filters(client, members, settings):
    settings.VSE_REFERRALS_INBOX_PAGE_SIZE = 1
    client.force_login(members["b"])
    page = soup(client.get(INBOX_URL, {"tab": "incoming", "country": "FR"}))
    next_link = page.select_one("nav.pagination li.next a")["href"]
    assert "country=FR" in next_link and "tab=incoming" in next_link
    assert "Page 1 of 3" in page.get_text()


# Dashboard panel and menu ----------------------------------------------------------------------


def test_panel_and_menu_only_for_contact_points(client, roles, members):
    editor = builders.make_user("editor", admin_access=False)
    editor.groups.add(Group.objects.get(name="Editors"))
    for user in (
        roles["superuser"],
        roles["staff"],
        roles["no organisation"],
        roles["ended contact point of B"],
        roles["group member without designation"],
        roles["global model permissions"],
        editor,
    ):
        client.force_login(user)
        assert panel(client) is None, user
        assert referrals_menu_label(client) is None, user

    for user in (members["a"], members["b"], members["c"]):
        client.force_login(user)
        assert panel(client) is not None, user
        assert referrals_menu_label(client) is not None, user


def test_menu_shows_the_number_needing_action(client, members, roles):
    client.force_login(members["a"])
    assert referrals_menu_label(client) == "Referrals (2)"
    client.force_login(members["b"])
    assert referrals_menu_label(client) == "Referrals (2)"
    workflow.perform(members["c_to_b_new"], "accept", builders.acting(members["b"]))
    assert referrals_menu_label(client) == "Referrals (1)"
    client.force_login(members["c"])  # nothing to do: no number
    assert referrals_menu_label(client) == "Referrals"


def test_panel_counts(client, members):
    ReferralCase.objects.filter(pk=members["a_to_b_new"].pk).update(respond_by=timezone.now() - timedelta(hours=1))
    client.force_login(members["b"])
    section = panel(client)
    counts = {
        link.get_text(" ", strip=True).split(" ", 1)[1]: int(link.strong.get_text())
        for link in section.select(".vse-counts a")
        if link.strong
    }
    assert counts == {"Needing your action": 2, "Overdue incoming": 1, "Outgoing, with the partner": 1}
    assert "vse-deadline--overdue" in section.select(".vse-counts a")[1].strong.get("class", [])


def test_panel_links_list_what_their_counts_say(client, members):
    ReferralCase.objects.filter(pk=members["a_to_b_new"].pk).update(respond_by=timezone.now() - timedelta(hours=1))
    client.force_login(members["b"])
    for link in panel(client).select(".vse-counts a"):
        if link.strong:
            response = client.get(link["href"])
            assert len(listed_in(response)) == int(link.strong.get_text()), link["href"]


def test_panel_lists_most_urgent_first_and_highlights_overdue(client, roles, org_b):
    sender, receiver = roles["contact point of A"], roles["contact point of B"]
    now = timezone.now()
    routine_soonest = builders.sent_case(sender, org_b, priority="routine", respond_by=now + timedelta(hours=5))
    urgent_later = builders.sent_case(sender, org_b, priority="urgent", respond_by=now + timedelta(days=3))
    stat = builders.sent_case(sender, org_b, priority="stat", respond_by=now + timedelta(hours=20))
    urgent_sooner = builders.sent_case(sender, org_b, priority="urgent", respond_by=now + timedelta(days=2))
    urgent_overdue = builders.sent_case(sender, org_b, priority="urgent", respond_by=now + timedelta(days=4))
    ReferralCase.objects.filter(pk=urgent_overdue.pk).update(respond_by=now - timedelta(hours=3))

    client.force_login(receiver)
    table_rows = rows(panel_table(panel(client), "Needs your action"))

    assert [reference for reference, _overdue in table_rows] == refs(
        stat, urgent_overdue, urgent_sooner, urgent_later, routine_soonest
    )
    assert [overdue for _reference, overdue in table_rows] == [False, True, False, False, False]
    # The inbox's default tab uses the same order.
    assert listed(client) == refs(stat, urgent_overdue, urgent_sooner, urgent_later, routine_soonest)


def test_panel_shows_outgoing_awaiting_the_partner(client, members):
    client.force_login(members["a"])
    section = panel(client)
    action = [reference for reference, _ in rows(panel_table(section, "Needs your action"))]
    awaiting = [reference for reference, _ in rows(panel_table(section, "Outgoing, awaiting the partner"))]
    assert set(action) == set(refs(members["a_to_b_hold"], members["b_to_a_opened"]))
    # On hold waits for A, so it is not "with the partner".
    assert set(awaiting) == set(refs(members["a_to_b_new"], members["a_to_b_accepted"]))


def test_panel_is_limited(client, roles, org_b, settings):
    settings.VSE_REFERRALS_DASHBOARD_LIMIT = 2
    for _ in range(3):
        builders.sent_case(roles["contact point of A"], org_b)
    client.force_login(roles["contact point of B"])
    section = panel(client)
    assert len(rows(panel_table(section, "Needs your action"))) == 2
    assert section.select(".vse-counts a")[0].strong.get_text() == "3"


# Query counts do not grow with the number of cases -------------------------------------------------

# The cases of one cycle, from A's side: each tab of A's inbox has at least one of them.
CYCLE = [
    ("b_to_a", Status.REQUESTED, "stat"),
    ("a_to_b", Status.ACCEPTED, "urgent"),
    ("a_to_b", Status.DRAFT, "routine"),
    ("a_to_b", Status.COMPLETED, "routine"),
    ("a_to_b", Status.ON_HOLD, "urgent"),
]


def bulk_cases(org_a, org_b, user, count, start):
    now = timezone.now()
    cases = []
    for index in range(start, start + count):
        direction, status, priority = CYCLE[index % len(CYCLE)]
        sender, receiver = (org_a, org_b) if direction == "a_to_b" else (org_b, org_a)
        sent = status != Status.DRAFT
        cases.append(
            ReferralCase(
                reference=f"BULK-{index:05d}",
                sending_organisation=sender,
                receiving_organisation=receiver,
                created_by=user,
                status=status,
                priority=priority,
                name=f"Bulk person {index}",
                referral_reason="Bulk reason",
                support_needed=["emotional"],
                sent_at=now - timedelta(days=2) if sent else None,
                # Every seventh one is overdue.
                respond_by=(now - timedelta(hours=3) if index % 7 == 0 else now + timedelta(hours=index % 48 + 1))
                if sent
                else None,
                contact_by=now + timedelta(days=5) if sent else None,
                closed_at=now - timedelta(hours=index % 30) if status == Status.COMPLETED else None,
            )
        )
    ReferralCase.objects.bulk_create(cases)


def count_queries(client, url, params=None):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries), response


def test_bulk_created_cases_are_usable(client, roles, org_a, org_b):
    bulk_cases(org_a, org_b, roles["contact point of A"], 5, 0)
    case = ReferralCase.objects.get(reference="BULK-00000")
    assert case.name == "Bulk person 0"  # encrypted through bulk_create, decrypted on load
    client.force_login(roles["contact point of A"])
    assert client.get(reverse("vse_referrals:case", args=[case.pk])).status_code == 200


@pytest.mark.parametrize("tab", TABS)
def test_inbox_query_count_does_not_grow(client, roles, org_a, org_b, tab):
    user = roles["contact point of A"]
    client.force_login(user)
    bulk_cases(org_a, org_b, user, 5, 0)
    client.get(INBOX_URL, {"tab": tab})  # warm-up: per-process caches
    few, response = count_queries(client, INBOX_URL, {"tab": tab})
    assert listed_in(response), "each tab has cases with 5 cases, so both runs render rows"

    bulk_cases(org_a, org_b, user, 495, 5)
    many, response = count_queries(client, INBOX_URL, {"tab": tab})
    assert len(listed_in(response)) == 25  # a full page
    assert few == many


@pytest.mark.parametrize(
    "params", [{"tab": "incoming", "overdue": "on"}, {"tab": "outgoing", "country": "SE", "p": "3"}]
)
def test_filtered_inbox_query_count_does_not_grow(client, roles, org_a, org_b, params):
    user = roles["contact point of A"]
    client.force_login(user)
    bulk_cases(org_a, org_b, user, 15, 0)
    client.get(INBOX_URL, params)
    few, _response = count_queries(client, INBOX_URL, params)
    bulk_cases(org_a, org_b, user, 485, 15)
    many, _response = count_queries(client, INBOX_URL, params)
    assert few == many


@pytest.mark.parametrize("url", [INBOX_URL, RESULTS_URL])
@pytest.mark.parametrize("tab", TABS)
def test_filtered_results_query_count_does_not_grow(client, roles, org_a, org_b, url, tab):
    user = roles["contact point of A"]
    client.force_login(user)
    params = {"tab": tab, "q": "BULK", "country": "SE", "priority": "", "status": "bogus"}
    bulk_cases(org_a, org_b, user, 25, 0)  # five cases of each kind
    client.get(url, params)
    few, response = count_queries(client, url, params)
    assert listed_in(response)
    bulk_cases(org_a, org_b, user, 225, 25)  # fifty of each kind
    many, response = count_queries(client, url, params)
    assert few == many


def test_dashboard_query_count_does_not_grow(client, roles, org_a, org_b):
    user = roles["contact point of A"]
    client.force_login(user)
    bulk_cases(org_a, org_b, user, 5, 0)
    client.get(HOME_URL)
    few, response = count_queries(client, HOME_URL)
    assert rows(
        panel_table(
            BeautifulSoup(response.content, "html.parser").find(id="vse-referrals-inbox-section"), "Needs your action"
        )
    )

    bulk_cases(org_a, org_b, user, 495, 5)
    many, response = count_queries(client, HOME_URL)
    section = BeautifulSoup(response.content, "html.parser").find(id="vse-referrals-inbox-section")
    assert len(rows(panel_table(section, "Needs your action"))) == 8
    assert few == many


# The closed list and the case header ----------------------------------------------------------------


def closed_rows(client):
    table = soup(client.get(INBOX_URL, {"tab": "closed"})).select_one("table.listing")
    headings = [th.get_text(strip=True) for th in table.select("thead th")]
    return headings, [
        {td["data-label"]: td.get_text(" ", strip=True) for td in row.select("td")} for row in table.select("tbody tr")
    ]


def test_the_closed_list_shows_when_how_and_whether_the_data_is_kept(client, sender, receiver):
    kept = builders.case_in_state("closed", sender, receiver)
    purged = builders.case_in_state("purged", sender, receiver)
    client.force_login(receiver)
    headings, rows_ = closed_rows(client)
    assert "Deadline" not in headings
    assert headings[:3] == ["Reference", "Priority and status", "Closed"]
    by_reference = {row["Reference"]: row for row in rows_}
    assert by_reference[kept.reference]["Outcome"] == "Victim supported"
    assert by_reference[kept.reference]["Personal data"].startswith("Kept until ")
    assert by_reference[purged.reference]["Personal data"].startswith("Purged on ")
    assert by_reference[kept.reference]["Closed"].endswith(("CET", "CEST"))
    assert by_reference[kept.reference]["Partner"] == f"From {sender_org(sender).name}, France"


def sender_org(user):
    return builders.acting(user).organisation


def test_the_sender_sees_the_outcome_only_with_consent_to_report_back(client, sender, receiver):
    told = builders.case_in_state("closed", sender, receiver)
    untold = builders.case_in_state("closed", sender, receiver, consent_to_report_back=False)
    client.force_login(sender)
    by_reference = {row["Reference"]: row for row in closed_rows(client)[1]}
    assert by_reference[told.reference]["Outcome"] == "Victim supported"
    assert by_reference[untold.reference]["Outcome"] == "—"


def test_the_case_header_says_each_fact_once(client, sender, receiver):
    case = builders.sent_case(sender, sender_org(receiver))
    workflow.perform(case, "accept", builders.acting(receiver))
    client.force_login(receiver)
    page = soup(client.get(reverse("vse_referrals:case", args=[case.pk])))
    header = page.select_one(".vse-case-header").get_text(" ", strip=True)
    assert header.count("Victim to be contacted by") == 1
    assert header.count("Answer wanted by") == 1  # the past deadline, among the facts
    assert f"{sender_org(sender).name}, France" in header
    assert "(France)" not in header
