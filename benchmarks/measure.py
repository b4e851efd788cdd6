"""Timing, query counting and query plans of requests made through Django's test client."""

import re
import statistics
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from wagtail import hooks

from vse_referrals.models import ReferralCase

from .database import SMALL, active

CASE_TABLE = ReferralCase._meta.db_table
CASE_LINK = re.compile(rb"/admin/referrals/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/")
BOOKKEEPING = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


@dataclass
class Probe:
    """One thing measured: a request (or a direct call) made again and again."""

    key: str
    call: object  # () -> None; raises when the answer is not what a user would get
    database: str = SMALL  # the alias of the network it is measured on
    samples: list = field(default_factory=list)
    queries: list = field(default_factory=list)
    rows: int = None  # cases the page links to
    error: str = ""

    @property
    def median_ms(self):
        return statistics.median(self.samples) * 1000 if self.samples else None

    @property
    def query_count(self):
        return len([query for query in self.queries if not query.sql.startswith(BOOKKEEPING)])


def get(client, url, wrapper=None):
    """A probe call: GET `url`, which must answer 200 (inside `wrapper` when given); None when
    there is no such page (the probe then reports it)."""
    if url is None:
        return None

    def call():
        with wrapper() if wrapper else _nothing():
            response = client.get(url)
        if response.status_code != 200:
            raise AssertionError(f"GET {url} answered {response.status_code}")
        return response.content

    return call


@contextmanager
def _nothing():
    yield


@contextmanager
def without_inbox_panel():
    """The dashboard as Wagtail would build it without the referral inbox panel.

    A last `construct_homepage_panels` hook drops the panel whatever registered it, so the
    comparison needs no change to the package and survives its refactoring.
    """

    def drop_inbox_panel(request, panels):
        kept = [panel for panel in panels if not is_inbox_panel(panel)]
        if len(kept) == len(panels):
            raise AssertionError("no inbox panel on the dashboard to leave out")
        panels[:] = kept

    with hooks.register_temporarily("construct_homepage_panels", drop_inbox_panel, order=10_000):
        yield


def is_inbox_panel(panel):
    module = type(panel).__module__
    return module.startswith("vse_referrals") and "inbox" in (getattr(panel, "name", "") or "").lower()


def time_probes(probes, *, warmup=2, repeats=11):
    """Wall-clock times, the probes taking turns round by round (in the order given: each page at
    one size, then at the other) so that a burst of load from elsewhere on the machine falls on
    every probe alike."""
    for number in range(warmup + repeats):
        for probe in probes:
            if not probe.error:
                _run(probe, record=number >= warmup)


def _run(probe, record):
    try:
        with active(probe.database):
            start = time.perf_counter()
            probe.call()
            elapsed = time.perf_counter() - start
    except Exception as error:  # report it, keep measuring the rest
        probe.error = f"{type(error).__name__}: {error}"[:200]
        return
    if record:
        probe.samples.append(elapsed)


@dataclass
class Query:
    sql: str
    params: object
    seconds: float
    origin: str


class QueryRecorder:
    """Every statement executed on the default connection, with where in the code it came from."""

    def __init__(self):
        self.queries = []

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append(Query(sql.strip(), params, time.perf_counter() - start, origin()))


def capture(call, database=SMALL):
    """The queries of one call, and what it returned."""
    recorder = QueryRecorder()
    with active(database), connection.execute_wrapper(recorder):
        result = call()
    return recorder.queries, result


def cases_listed(content):
    """How many cases a page links to (the rows of a listing)."""
    if not isinstance(content, bytes):
        return None
    return len(set(CASE_LINK.findall(content)))


MIDDLEWARE_METHODS = {"__call__", "process_request", "process_view", "process_response"}


def origin():
    """Where a query came from: the innermost template being rendered or vse_referrals function
    (middleware aside, which is on every request's stack)."""
    frame = sys._getframe(2)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        code = frame.f_code.co_name
        if module.startswith("vse_referrals") and code not in MIDDLEWARE_METHODS:
            return f"{module.replace('.', '/')}.py:{frame.f_lineno} {code}"
        if module == "django.template.base" and code == "render":
            name = getattr(frame.f_locals.get("self"), "name", None)
            if name:
                return f"template {name}"
        frame = frame.f_back
    return "wagtail/django"


def case_selects(queries):
    """The SELECT statements that read the referral table."""
    return [query for query in queries if query.sql.upper().startswith("SELECT") and f'"{CASE_TABLE}"' in query.sql]


def plan(query):
    """The lines of `EXPLAIN query` (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + query.sql, query.params)
        return [row[0] for row in cursor.fetchall()]


def sequential_scans(query):
    """The plan lines of `query` that read the whole referral table (PostgreSQL only)."""
    return [line.strip() for line in plan(query) if f"Seq Scan on {CASE_TABLE}" in line]


@contextmanager
def rolled_back(*databases):
    """Whatever the measured requests write (sessions, 'viewed' events) is undone afterwards."""
    with ExitStack() as stack:
        for alias in databases:
            stack.enter_context(transaction.atomic(using=alias))
        yield
        for alias in databases:
            transaction.set_rollback(True, using=alias)
