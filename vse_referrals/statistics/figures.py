"""The statistics report's tables, computed from metadata only.

Every query reads plain metadata columns (statuses, timestamps, organisations and their
countries, priority and the coded categories), and none reads an encrypted or free-text column.
A closed referral does not change again, and the workflow adds it to the running counts as it
closes (`tally`): the report reads those counts, a few rows per month and member, and groups only
the open referrals of the period itself, by the same rules. So its time follows the members,
months and open referrals, not the years of closed ones, and its figures survive the retention
purge, which blanks a closed case's categories long after they were counted. The number of
queries is fixed; each groups in the database and returns one row per group.

The answer times' percentiles need every duration, so they are worked out over all the
referrals of the period: by PostgreSQL (`percentile_cont`, from an index that holds the times);
SQLite has no such aggregate, so there they are worked out here, with the same interpolation
(`percentile`).
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from django.contrib.postgres.fields import ArrayField
from django.db import connections
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    Sum,
    Value,
    When,
)
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from .. import conf
from ..models import (
    AgeBand,
    CrimeType,
    Organisation,
    Outcome,
    Priority,
    ReferralCase,
    ReferralTally,
    SupportNeed,
)
from .suppression import COUNT, HOURS, PERCENT, Cell, Row, Table, measure, suppress
from .tally import IN_TIME, MEMBER_FIGURES, due, monthly_columns

NOT_RECORDED = ""
PERCENTILE_90 = 0.9
# What the report's counts count: a column of the statistics index that every referral of a
# period has (counting the primary key would make PostgreSQL read the table, not only the index).
COUNTED = "sent_at"

MONTHLY_COLUMNS = (
    ("sent", _("Sent")),
    ("accepted", _("Accepted")),
    ("declined", _("Declined")),
    ("withdrawn", _("Withdrawn")),
    ("expired", _("Expired")),
    ("completed", _("Completed")),
)

MEMBER_COLUMNS = (
    ("received", _("Referrals received")),
    ("answer_median", _("Median time to first answer (hours)")),
    ("answer_p90", _("90th percentile time to first answer (hours)")),
    ("in_time", _("Answered within the requested time")),
    ("contact_median", _("Median time to victim contacted (hours)")),
    ("contact_p90", _("90th percentile time to victim contacted (hours)")),
    ("overdue", _("Overdue now")),
)
MEMBER_KINDS = {
    "received": COUNT,
    "answer_median": HOURS,
    "answer_p90": HOURS,
    "in_time": PERCENT,
    "contact_median": HOURS,
    "contact_p90": HOURS,
    "overdue": COUNT,
}

# (column, title, choices): the categories the report breaks referrals down by.
CATEGORIES = (
    ("priority", _("By priority"), Priority.choices),
    ("crime_type", _("By type of crime"), CrimeType.choices),
    ("age_band", _("By age band"), AgeBand.choices),
    ("outcome", _("By outcome"), Outcome.choices),
)
SUMMED_CATEGORIES = {column for column, _title, _choices in CATEGORIES} | {"support_needed"}
NOT_RECORDED_LABELS = {
    "crime_type": _("Not recorded"),
    "outcome": _("No outcome recorded (open, declined, withdrawn or expired)"),
}


@dataclass(frozen=True)
class Scope:
    """Whose referrals a column counts: one organisation's (sent or received), or the network's."""

    key: str
    label: str
    organisation: Organisation | None = None

    def condition(self):
        if self.organisation is None:
            return None
        return Q(sending_organisation=self.organisation) | Q(receiving_organisation=self.organisation)

    def includes(self, sender, receiver):
        """Whether a referral from `sender` to `receiver` (organisation ids) counts: `condition`."""
        return self.organisation is None or self.organisation.pk in (sender, receiver)


class Hours(Func):
    """PostgreSQL: an interval in hours, as a float (as `hours` gives in Python)."""

    # date_part gives a float8 directly; EXTRACT gives a numeric, much slower to sort.
    template = "date_part('epoch', %(expressions)s) / 3600"
    output_field = FloatField()


class Percentiles(Aggregate):
    """PostgreSQL's `percentile_cont` of the values at the median and the 90th percentile, from one
    sort: [median, p90], interpolated as `percentile` does."""

    template = f"percentile_cont(ARRAY[0.5, {PERCENTILE_90}]) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = ArrayField(FloatField())


@dataclass(frozen=True)
class Times:
    """How many durations were measured, and their median and 90th percentile, in hours."""

    count: int = 0
    median: float | None = None
    p90: float | None = None

    @classmethod
    def of(cls, values):
        values = sorted(values)
        return cls(len(values), percentile(values, 0.5), percentile(values, PERCENTILE_90))


def answer_times(cases, member=None):
    """{receiving member (only `member`, if given), and None for the network: {"answer": Times,
    "contact": Times}} of the answered `cases`: the time to the first answer and to the victim
    contacted, from sending."""
    answered = cases.filter(answered_at__isnull=False)
    if connections[cases.db].vendor == "postgresql":
        times = _answer_times_in_database(answered, member)
    else:
        times = _answer_times_in_python(answered)
    return {key: value for key, value in times.items() if member is None or key in (None, member.pk)}


def _answer_times_in_database(answered, member=None):
    durations = {
        "answer": Hours(F("answered_at") - F("sent_at")),
        "contact": Hours(F("victim_contacted_at") - F("sent_at")),  # NULL, not counted, if not contacted
    }
    aggregates = {}
    for name, duration in durations.items():
        aggregates |= {f"{name}_count": Count(duration), f"{name}_percentiles": Percentiles(duration)}

    def times(group):
        return {
            name: Times(group[f"{name}_count"], *(group[f"{name}_percentiles"] or (None, None))) for name in durations
        }

    members = (
        (answered if member is None else answered.filter(receiving_organisation=member))
        .values("receiving_organisation")
        .annotate(**aggregates)
    )
    return {
        None: times(answered.aggregate(**aggregates)),
        **{group["receiving_organisation"]: times(group) for group in members},
    }


def _answer_times_in_python(answered):
    answer = ExpressionWrapper(F("answered_at") - F("sent_at"), output_field=DurationField())
    contact = ExpressionWrapper(F("victim_contacted_at") - F("sent_at"), output_field=DurationField())
    durations = defaultdict(lambda: {"answer": [], "contact": []})
    for member, answer_time, contact_time in answered.values_list("receiving_organisation", answer, contact):
        for member_key in (None, member):  # None: the network
            durations[member_key]["answer"].append(hours(answer_time))
            if contact_time is not None:
                durations[member_key]["contact"].append(hours(contact_time))
    return {member: {name: Times.of(values) for name, values in times.items()} for member, times in durations.items()}


def network_scope():
    return Scope("network", gettext("Network"))


def organisation_scope(organisation):
    return Scope("organisation", str(organisation), organisation)


def percentile(values, fraction):
    """The `fraction` percentile of sorted `values` with linear interpolation (as PostgreSQL's
    percentile_cont), or None for no values."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    below = int(position)
    above = min(below + 1, len(values) - 1)
    return values[below] + (values[above] - values[below]) * (position - below)


def hours(duration):
    return duration.total_seconds() / 3600


class Report:
    """Every table of the report for `period`, over `scopes` (the network, and the organisation of
    a point of contact); `member` limits the per-member rows to one organisation."""

    def __init__(self, period, scopes, *, member=None, now=None, threshold=None):
        self.period = period
        self.scopes = scopes
        self.member = member
        self.now = now or timezone.now()
        self.threshold = threshold or conf.get("STATISTICS_MIN_COUNT")
        start, end = period.bounds()
        self.cases = ReferralCase.objects.filter(sent_at__gte=start, sent_at__lt=end).order_by()
        # The closed ones are in the running counts (`tallied`).
        self.open_cases = self.cases.filter(closed_at__isnull=True)

    def _counts(self):
        return {scope.key: Count(COUNTED, filter=scope.condition()) for scope in self.scopes}

    def _table(self, table):
        return suppress(table, self.threshold)

    @cached_property
    def tallied(self):
        """{scope: {(month or None, key): closed referrals}} from the running counts: by month for
        the monthly columns, over the whole period for the other keys."""
        scopes = {scope.organisation.pk if scope.organisation else None: scope.key for scope in self.scopes}
        by_month = Case(When(key__startswith="monthly:", then=F("month")), default=None)
        rows = (
            ReferralTally.objects.filter(month__gte=self.period.start, month__lt=self.period.end)
            .filter(Q(organisation__isnull=True) | Q(organisation__in=[pk for pk in scopes if pk is not None]))
            .annotate(shown_month=by_month)
            .values("organisation", "shown_month", "key")
            .annotate(number=Sum("count"))
            .order_by()
        )
        tallied = {scope.key: defaultdict(int) for scope in self.scopes}
        for row in rows:
            tallied[scopes[row["organisation"]]][row["shown_month"], row["key"]] += row["number"]
        return tallied

    def tables(self):
        return [
            *self.monthly(),
            *self.flows(),
            self.members(),
            *(self.category(*category) for category in CATEGORIES),
            self.support_needed(),
        ]

    # Referrals per month ---------------------------------------------------------------------

    def monthly(self):
        answered = ExpressionWrapper(Q(answered_at__isnull=False), output_field=BooleanField())
        # The month sent, as its place in the period: compared with the months' ends (local
        # midnights, as the period's bounds), cheaper than converting every date to local time.
        ends = self.period.month_ends()
        month = Case(
            *(When(sent_at__lt=end, then=Value(index)) for index, end in enumerate(ends)), default=Value(len(ends))
        )
        groups = (
            self.open_cases.annotate(month=month, answered=answered)
            .values("month", "status", "status_reason_code", "answered")
            .annotate(**self._counts())
        )
        months = list(self.period.months())
        counts = {scope.key: defaultdict(int) for scope in self.scopes}
        for group in groups:
            for column in monthly_columns(group["status"], group["status_reason_code"], group["answered"]):
                for scope in self.scopes:
                    counts[scope.key][months[group["month"]], column] += group[scope.key]
        for scope in self.scopes:
            for (month, key), number in self.tallied[scope.key].items():
                if key.startswith("monthly:"):
                    counts[scope.key][month, key.removeprefix("monthly:")] += number
        tables = []
        for scope in self.scopes:
            rows = [
                Row(
                    date_format(month, "YEAR_MONTH_FORMAT"),
                    {key: Cell(counts[scope.key][month, key]) for key, _label in MONTHLY_COLUMNS},
                    key=month,
                )
                for month in self.period.months()
            ]
            total = Row(
                gettext("Whole period"),
                {key: Cell(sum(row.cells[key].value for row in rows)) for key, _label in MONTHLY_COLUMNS},
            )
            tables.append(
                self._table(
                    Table(
                        _key("monthly", scope),
                        _scoped(gettext("Referrals by month sent, and what became of them"), scope),
                        gettext("Month sent"),
                        list(MONTHLY_COLUMNS),
                        rows,
                        total_row=total,
                        note=gettext(
                            "Each referral is counted in the month it was sent; the other columns say how "
                            "many of them were accepted, declined, withdrawn, expired and completed so far."
                        ),
                    )
                )
            )
        return tables

    # Cross-border flows ----------------------------------------------------------------------

    @cached_property
    def pairs(self):
        """The open referrals of the period by pair of members (sender, receiver): how many, how
        many answered in time and how many were due. The flows between countries and the members'
        figures add them up, with the closed referrals' running counts."""
        return list(
            self.open_cases.values("sending_organisation", "receiving_organisation").annotate(
                received=Count(COUNTED),
                in_time=Count(COUNTED, filter=IN_TIME),
                due=Count(COUNTED, filter=due(self.now)),
            )
        )

    @cached_property
    def organisations(self):
        """{id: (name, country)} of every member organisation (a few dozen rows)."""
        return {pk: (name, country) for pk, name, country in Organisation.objects.values_list("pk", "name", "country")}

    def flows(self):
        tables = []
        for scope in self.scopes:
            cells = defaultdict(int)
            for pair in self.pairs:
                sender, receiver = pair["sending_organisation"], pair["receiving_organisation"]
                if scope.includes(sender, receiver):
                    cells[self.organisations[sender][1], self.organisations[receiver][1]] += pair["received"]
            for (_month, key), number in self.tallied[scope.key].items():
                if key.startswith("flow:"):
                    _figure, sending_country, receiving_country = key.split(":")
                    cells[sending_country, receiving_country] += number
            senders = sorted({sender for sender, _receiver in cells}, key=countries.name)
            receivers = sorted({receiver for _sender, receiver in cells}, key=countries.name)
            columns = [(code, countries.name(code)) for code in receivers] + [("total", gettext("Total sent"))]

            def row(label, values, key=None):
                values = {**values, "total": sum(values.values())}
                return Row(label, {code: Cell(value) for code, value in values.items()}, key=key)

            rows = [
                row(countries.name(sender), {code: cells.get((sender, code), 0) for code in receivers}, key=sender)
                for sender in senders
            ]
            total = row(
                gettext("Total received"),
                {code: sum(cells.get((sender, code), 0) for sender in senders) for code in receivers},
            )
            tables.append(
                self._table(
                    Table(
                        _key("flows", scope),
                        _scoped(gettext("Cross-border flows: sending country by receiving country"), scope),
                        gettext("Sending country"),
                        columns,
                        rows,
                        total_row=total,
                        total_column="total",
                        note=gettext("Rows: the country of the referring member; columns: of the receiving member."),
                    )
                )
            )
        return tables

    # Answer times per receiving member -------------------------------------------------------

    def members(self):
        empty = dict.fromkeys(MEMBER_FIGURES, 0)
        received = defaultdict(lambda: dict(empty))
        for pair in self.pairs:
            for key in empty:
                received[pair["receiving_organisation"]][key] += pair[key]
        for (_month, key), number in self.tallied["network"].items():
            figure, _colon, member = key.partition(":")
            if figure in empty:
                received[int(member)][figure] += number
        times = answer_times(self.cases, self.member)
        overdue = dict(
            ReferralCase.objects.overdue(self.now)
            .values("receiving_organisation")
            .annotate(count=Count("pk"))
            .values_list("receiving_organisation", "count")
            .order_by()
        )
        member_ids = set(received) | set(overdue)
        if self.member is not None:
            member_ids &= {self.member.pk}
        names = {pk: self.organisations[pk][0] for pk in member_ids}

        no_times = {"answer": Times(), "contact": Times()}

        def row(label, figures, times, overdue_now, key=None):
            answers, contacts = times["answer"], times["contact"]
            cells = {
                "received": Cell(figures["received"]),
                "answer_median": measure(answers.median, answers.count, self.threshold, HOURS),
                "answer_p90": measure(answers.p90, answers.count, self.threshold, HOURS),
                "in_time": measure(
                    100 * figures["in_time"] / figures["due"] if figures["due"] else None,
                    figures["due"],
                    self.threshold,
                    PERCENT,
                ),
                "contact_median": measure(contacts.median, contacts.count, self.threshold, HOURS),
                "contact_p90": measure(contacts.p90, contacts.count, self.threshold, HOURS),
                "overdue": Cell(overdue_now),
            }
            return Row(label, cells, key=key)

        rows = [
            row(names[pk], received.get(pk, empty), times.get(pk, no_times), overdue.get(pk, 0), key=pk)
            for pk in sorted(member_ids, key=lambda pk: names[pk])
        ]
        network = row(
            gettext("Network (all members)"),
            {key: sum(group[key] for group in received.values()) for key in empty},
            times.get(None, no_times),
            sum(overdue.values()),
        )
        table = Table(
            "members" if self.member is None else "members-organisation",
            gettext("Answer times per receiving member"),
            gettext("Receiving member"),
            list(MEMBER_COLUMNS),
            rows,
            note=gettext(
                "Times are counted from sending. Within the requested time: the share of referrals "
                "answered by their answer deadline, among those answered or past it. Overdue now: "
                "referrals whose answer or contact deadline has passed today, whenever they were sent."
            ),
        )
        if self.member is None:
            table.total_row = network  # the rows add up to it: secondary suppression applies
        else:
            table.rows.append(network)  # the other members are not shown: it is the network's figure
        return self._table(table)

    # Breakdowns ------------------------------------------------------------------------------

    @cached_property
    def category_counts(self):
        """{scope: {(category, code): referrals}}: the open referrals, grouped in the database, and
        the running counts of the closed ones."""
        counts = {scope.key: defaultdict(int) for scope in self.scopes}
        columns = [column for column, _title, _choices in CATEGORIES]
        for group in self.open_cases.values(*columns).annotate(**self._counts()):
            for column in columns:
                for scope in self.scopes:
                    counts[scope.key][column, group[column]] += group[scope.key]
        # A referral asks for several kinds of support (a JSON list of codes): the referrals are
        # grouped by their list, a handful of combinations, and each code counted in the lists
        # that hold it.
        for group in self.open_cases.values("support_needed").annotate(**self._counts()):
            for code in set(group["support_needed"] or ()):
                for scope in self.scopes:
                    counts[scope.key]["support_needed", code] += group[scope.key]
        for scope in self.scopes:
            for (_month, key), number in self.tallied[scope.key].items():
                category, _colon, code = key.partition(":")
                if category in SUMMED_CATEGORIES:
                    counts[scope.key][category, code] += number
        return counts

    def category(self, column, title, choices):
        counts = self.category_counts
        labels = list(choices)
        if column in NOT_RECORDED_LABELS:
            labels.append((NOT_RECORDED, NOT_RECORDED_LABELS[column]))
        rows = [
            Row(str(label), {scope.key: Cell(counts[scope.key][column, code]) for scope in self.scopes}, key=code)
            for code, label in labels
        ]
        total = Row(
            gettext("All referrals"),
            {scope.key: Cell(sum(row.cells[scope.key].value for row in rows)) for scope in self.scopes},
        )
        return self._table(
            Table(
                column.replace("_", "-"),
                str(title),
                gettext("Category"),
                [(scope.key, scope.label) for scope in self.scopes],
                rows,
                total_row=total,
            )
        )

    def support_needed(self):
        counts = self.category_counts
        rows = [
            Row(
                str(label),
                {scope.key: Cell(counts[scope.key]["support_needed", code]) for scope in self.scopes},
                key=code,
            )
            for code, label in SupportNeed.choices
        ]
        return self._table(
            Table(
                "support-needed",
                gettext("By support needed"),
                gettext("Support needed"),
                [(scope.key, scope.label) for scope in self.scopes],
                rows,
                note=gettext("A referral may ask for several kinds of support, so the rows do not add up."),
            )
        )


def _key(name, scope):
    return name if scope.organisation is None else f"{name}-organisation"


def _scoped(title, scope):
    return f"{title}: {scope.label}"
