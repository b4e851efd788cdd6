"""What is measured at each size: the pages of two points of contact, the public directory, the
VSE overview, the referral statistics, the access rule called directly and its per-case guardian alternative.

Only public entry points are used: URLs through Django's test client,
`vse_referrals.permissions.cases_for_user`, `vse_referrals.reminders.run` and the models.
"""

import cProfile
import io
import operator
import os
import platform
import pstats
import time
from collections import Counter
from functools import reduce
from pathlib import Path

from django.db import connection
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse
from guardian.shortcuts import get_objects_for_user

from vse_referrals import permissions
from vse_referrals.models import ReferralCase

from . import measure as measure_module
from . import network
from .database import active
from .measure import Probe

TABS = ("action", "incoming", "outgoing", "drafts", "closed")
GUARDIAN_PERMISSION = "vse_referrals.bench_view_referralcase"
FIRST_PAGE = 25


# What a listing loads of each case: plain metadata (DESIGN.md section 3), nothing to decrypt, so
# that the access rule is measured and not the decryption of 25 victims' details.
LISTED_FIELDS = (
    "id",
    "reference",
    "sending_organisation",
    "receiving_organisation",
    "priority",
    "status",
    "created_at",
)


def first_page_and_count(cases):
    """The listing of a case list: its first page of 25, newest first, and how many there are."""

    def call():
        queryset = cases()
        rows = list(queryset.only(*LISTED_FIELDS).order_by("-created_at")[:FIRST_PAGE])
        return rows, queryset.count()

    return call


def guardian_cases(user):
    """The per-case design a Django developer builds first: an object permission on every case."""
    return get_objects_for_user(
        user, GUARDIAN_PERMISSION, klass=ReferralCase, with_superuser=False, accept_global_perms=False
    )


def overview_url():
    """The VSE office's referral overview (a ModelAdmin index today), found by its URL name."""
    names = [name for name in get_resolver().reverse_dict if isinstance(name, str)]
    for name in names:
        if "referralcase" in name and name.endswith("index"):
            return reverse(name)
    for name in names:
        if "overview" in name:
            return reverse(name)
    return None


def url(name, *args):
    """The address of the view named `name`, or None if there is none (reported, not fatal)."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return None


def signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def build_probes(net, database):
    """Every probe on the network in `database` (sessions are made there too)."""
    probes = {}
    with active(database):
        for who, user in (("ordinary", net.ordinary_user), ("busy", net.busy_user)):
            client = signed_in(user)
            home = url("wagtailadmin_home")
            inbox = url("vse_referrals:inbox")
            probes[who, "dashboard"] = measure_module.get(client, home)
            probes[who, "dashboard-no-panel"] = measure_module.get(client, home, measure_module.without_inbox_panel)
            for tab in TABS:
                probes[who, f"tab-{tab}"] = measure_module.get(client, inbox and f"{inbox}?tab={tab}")
            probes[who, "case"] = measure_module.get(client, url("vse_referrals:case", net.measured_case.pk))
            probes[who, "form"] = measure_module.get(client, url("vse_referrals:refer"))
            probes[who, "cases_for_user"] = first_page_and_count(lambda user=user: permissions.cases_for_user(user))
            probes[who, "guardian"] = first_page_and_count(lambda user=user: guardian_cases(user))
        probes["office", "overview"] = measure_module.get(signed_in(net.office_user), overview_url())
        # The referral statistics of this year (the report's default period): the whole network's,
        # and the ordinary member's beside it.
        statistics = url("vse_referrals_statistics")
        probes["office", "statistics"] = measure_module.get(signed_in(net.administrator), statistics)
        probes["office", "statistics-member"] = measure_module.get(signed_in(net.ordinary_user), statistics)
        public = Client()
        directory = net.directory.get_url()
        probes["public", "directory"] = measure_module.get(public, directory)
        probes["public", "hsds"] = measure_module.get(public, f"{directory}api/services/")
        probes["public", "map"] = measure_module.get(public, f"{directory}api/map/")
    probes = {key: Probe(key[1], call, database) for key, call in probes.items()}
    for probe in probes.values():
        if probe.call is None:
            probe.error = "no such page (its URL name is not found)"
    return probes


def measure(net, repeats, sizes):
    """Time every probe at both sizes, taking turns; then count and attribute its queries once.
    At the larger size, also EXPLAIN the listings (PostgreSQL) and profile the heaviest pages.

    `sizes`: (database alias, referrals, members) for the smaller and the larger network.
    """
    aliases = [alias for alias, _referrals, _members in sizes]
    results = []
    load_before = os.getloadavg()
    with measure_module.rolled_back(*aliases):
        probes = {alias: build_probes(net, alias) for alias in aliases}
        order = [probes[alias][key] for key in probes[aliases[0]] for alias in aliases]
        measure_module.time_probes(order, repeats=repeats)
        for alias, referrals, members in sizes:
            for probe in probes[alias].values():
                if not probe.error:
                    # Twice, keeping the fewer: an occasional session refresh is not the page's.
                    runs = [measure_module.capture(probe.call, alias) for _ in range(2)]
                    probe.queries, content = min(runs, key=lambda run: len(run[0]))
                    probe.rows = measure_module.cases_listed(content)
            with active(alias):
                result = {
                    "size": referrals,
                    "members": members,
                    "statuses": network.status_counts(),
                    "caseloads": {"ordinary": network.caseload(net.ordinary), "busy": network.caseload(net.busy)},
                    "visible": {
                        who: {
                            "cases_for_user": permissions.cases_for_user(user).count(),
                            "guardian": guardian_cases(user).count(),
                        }
                        for who, user in (("ordinary", net.ordinary_user), ("busy", net.busy_user))
                    },
                    "reminders": reminders_run(),
                }
                largest = alias == aliases[-1]
                reminder_queries = result["reminders"].pop("queries")
                if largest and connection.vendor == "postgresql":
                    result["explain"] = explain_listings(probes[alias], reminder_queries)
                    result["statistics_plan"] = statistics_plan(probes[alias]["office", "statistics"])
                if largest:
                    result["profiles"] = {
                        name: profile_call(probes[alias][key].call)
                        for name, key in (
                            ("Dashboard, ordinary member", ("ordinary", "dashboard")),
                            ("Dashboard, busy member", ("busy", "dashboard")),
                            (f"Directory page, {members} members", ("public", "directory")),
                            (f"Map data, {members} members", ("public", "map")),
                        )
                        if not probes[alias][key].error
                    }
            result["probes"] = {
                key: {
                    "median_ms": probe.median_ms,
                    "queries": probe.query_count,
                    "samples": len(probe.samples),
                    "rows": probe.rows,
                    "error": probe.error,
                }
                for key, probe in probes[alias].items()
            }
            results.append(result)
    load = (load_before[0], os.getloadavg()[0])
    for result in results:
        result["load"] = load
    return results


def reminders_run():
    """The cron job once, undone afterwards (its e-mails and alerts are never sent or kept)."""
    from django.db import transaction

    from vse_referrals import reminders

    outcome = {}
    try:
        with transaction.atomic():
            start = time.perf_counter()
            outcome["queries"], _result = measure_module.capture(reminders.run)
            outcome["seconds"] = time.perf_counter() - start
            transaction.set_rollback(True)
    except Exception as error:
        outcome["error"] = f"{type(error).__name__}: {error}"[:200]
        outcome.setdefault("queries", [])
    outcome["query_count"] = len(outcome["queries"])
    return outcome


def explain_listings(probes, reminder_queries):
    """For each listing: its SELECTs on the referral table and whether their plans scan it whole.

    Requests are told apart by what they add: the menu count is what every admin page of a
    point of contact runs; a tab is its page minus that; the panel is the dashboard minus the
    dashboard without it (statements compared by their SQL, counted as often as they run).
    """
    listings = []
    for who in ("ordinary", "busy"):
        selects = {
            key: measure_module.case_selects(probe.queries) for (person, key), probe in probes.items() if person == who
        }
        admin_pages = ["dashboard-no-panel", "form", *(f"tab-{tab}" for tab in TABS)]
        menu = reduce(operator.and_, (Counter(query.sql for query in selects[key]) for key in admin_pages))
        panel = Counter(query.sql for query in selects["dashboard"]) - Counter(
            query.sql for query in selects["dashboard-no-panel"]
        )
        listings.append((f"menu count ({who})", _first(selects["form"], menu)))
        listings.append((f"dashboard panel ({who})", _first(selects["dashboard"], panel)))
        for tab in TABS:
            own = Counter(query.sql for query in selects[f"tab-{tab}"]) - menu
            listings.append((f"inbox tab {tab} ({who})", _first(selects[f"tab-{tab}"], own)))
    listings.append(("reminders (cron)", _first(measure_module.case_selects(reminder_queries))))
    listings.append(("VSE overview listing", _first(measure_module.case_selects(probes["office", "overview"].queries))))
    for key, name in (("statistics", "network administrator"), ("statistics-member", "ordinary member")):
        selects = measure_module.case_selects(probes["office", key].queries)
        listings.append((f"referral statistics ({name})", _first(selects)))
    return [
        {
            "listing": name,
            "queries": [
                {"origin": query.origin, "ms": query.seconds * 1000, "seq": measure_module.sequential_scans(query)}
                for query in queries
            ],
        }
        for name, queries in listings
    ]


def statistics_plan(probe):
    """The EXPLAIN of the referral statistics' slowest query on the referral table."""
    selects = measure_module.case_selects(probe.queries)
    if probe.error or not selects:
        return None
    slowest = max(selects, key=lambda query: query.seconds)
    return {
        "origin": slowest.origin,
        "ms": slowest.seconds * 1000,
        "sql": slowest.sql,
        "plan": measure_module.plan(slowest),
    }


def _first(queries, wanted=None):
    """One query of each distinct statement in `queries` (only those in `wanted`, if given)."""
    chosen = {}
    for query in queries:
        if (wanted is None or wanted[query.sql] > 0) and query.sql not in chosen:
            chosen[query.sql] = query
    return list(chosen.values())


def profile_call(call):
    """Where one request spends its time: its queries, and the busiest Python functions."""
    recorder = measure_module.QueryRecorder()
    profiler = cProfile.Profile()
    start = time.perf_counter()
    with connection.execute_wrapper(recorder):
        profiler.runcall(call)
    total = time.perf_counter() - start
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("tottime")
    top = []
    for (filename, line, function), (_calls, ncalls, tottime, _cumtime, _callers) in sorted(
        stats.stats.items(), key=lambda item: item[1][2], reverse=True
    )[:8]:
        top.append({"function": f"{_short(filename)}:{line} {function}", "calls": ncalls, "ms": tottime * 1000})
    own = [
        {"function": f"{_short(filename)}:{line} {function}", "ms": cumtime * 1000}
        for (filename, line, function), (_calls, _ncalls, _tottime, cumtime, _callers) in stats.stats.items()
        if "vse_referrals/" in filename and function not in measure_module.MIDDLEWARE_METHODS
    ]
    own.sort(key=lambda entry: entry["ms"], reverse=True)
    queries = sorted(recorder.queries, key=lambda query: query.seconds, reverse=True)
    return {
        "total_ms": total * 1000,
        "query_count": len(recorder.queries),
        "query_ms": sum(query.seconds for query in recorder.queries) * 1000,
        "slowest": [
            {"ms": query.seconds * 1000, "origin": query.origin, "sql": query.sql[:160]} for query in queries[:4]
        ],
        "functions": top,
        "app": own[:6],
        "note": "times under cProfile, which slows Python down",
    }


def _short(filename):
    """A file name without the folders every reader has: the checkout's or the virtualenv's."""
    root = str(Path(__file__).resolve().parent.parent) + "/"
    if filename.startswith(root):
        return filename[len(root) :]
    for marker in ("site-packages/", "lib/python"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def versions():
    from importlib.metadata import version

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            database = f"PostgreSQL {cursor.fetchone()[0]}"
    else:
        import sqlite3

        database = f"SQLite {sqlite3.sqlite_version}"
    packages = {name: version(name) for name in ("Django", "wagtail", "django-guardian", "psycopg")}
    return {"Python": platform.python_version(), **packages, "database": database}
