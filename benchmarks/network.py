"""A synthetic referral network and member directory, built fast but through the models.

Organisations, points of contact and directory profiles are made with the test suite's builders
(`tests/builders.py`), so they stay valid as the models change.
Referrals are made in bulk: plausible metadata (statuses, years 2022-2026, sent, answered and
closed times, deadlines, some overdue), empty personal fields, no timeline. Only the measured
case has a conversation (50 messages) and a timeline.

Who is measured:
- the *ordinary* member: party to the same 40 referrals at both sizes (4 in each status);
- the *busy* member: party to 2 % of all referrals at both sizes (20, then 2,000).
What grows from 1,000 to 100,000 referrals is the rest of the network.
"""

import random
import uuid
from collections import Counter
from contextlib import contextmanager
from datetime import datetime, timedelta
from itertools import accumulate

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models, transaction
from django.db.models import Count
from django.utils import timezone
from guardian.models import GroupObjectPermission

from tests import builders
from vse_referrals.models import (
    CaseEvent,
    CaseMessage,
    ContactPoint,
    MemberHelpline,
    MemberLocation,
    MemberService,
    Organisation,
    ReferenceSequence,
    ReferralCase,
    ReferralTally,
    Status,
)
from vse_referrals.statistics import tally

ORGANISATIONS = 60
ORDINARY_CASELOAD = 40
BUSY_SHARE = 0.02
COUNTRIES = [
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "NO", "GB", "CH",
]  # fmt: skip
# The network grew: more referrals each year (2026 runs to today).
YEAR_WEIGHTS = {2022: 10, 2023: 15, 2024: 20, 2025: 25, 2026: 30}
# The default answer windows of the design (respond, contact the victim), and the expiry grace.
WINDOWS = {
    "stat": (timedelta(hours=24), timedelta(hours=48)),
    "urgent": (timedelta(hours=72), timedelta(days=7)),
    "routine": (timedelta(days=14), timedelta(days=21)),
}
GRACE = timedelta(hours=48)
PRIORITY_WEIGHTS = {"stat": 10, "urgent": 30, "routine": 60}
# How often each status is drawn among those a case of its age can be in.
STATUS_WEIGHTS = {
    Status.DRAFT: 4,
    Status.REQUESTED: 6,
    Status.RECEIVED: 5,
    Status.ACCEPTED: 4,
    Status.IN_PROGRESS: 12,
    Status.ON_HOLD: 2,
    Status.REJECTED: 12,
    Status.CANCELLED: 6,
    Status.COMPLETED: 45,
    Status.FAILED: 8,
}
CRIME_TYPES = ["assault", "robbery", "burglary", "fraud", "sexual-violence", "stalking", "traffic", "cybercrime"]
SUPPORT = ["emotional", "information", "legal", "practical", "accompaniment", "interpreting"]
REASONS = {
    Status.REJECTED: "No capacity for this kind of support at the moment.",
    Status.CANCELLED: "The victim no longer wishes to be referred.",
    Status.ON_HOLD: "Please confirm the victim's preferred language.",
    Status.FAILED: "",
}


def _age_limits(status, priority):
    """(youngest, oldest) age a case in `status` can have; None: no limit."""
    respond, contact = WINDOWS[priority]
    return {
        Status.DRAFT: (timedelta(0), timedelta(days=30)),
        Status.REQUESTED: (timedelta(0), respond + GRACE),
        Status.RECEIVED: (timedelta(hours=2), respond + GRACE),
        Status.ACCEPTED: (timedelta(hours=6), respond + contact + timedelta(days=10)),
        Status.IN_PROGRESS: (timedelta(days=1), timedelta(days=240)),
        Status.ON_HOLD: (timedelta(days=1), timedelta(days=60)),
        Status.REJECTED: (timedelta(hours=6), None),
        Status.CANCELLED: (timedelta(hours=2), None),
        Status.COMPLETED: (timedelta(days=14), None),
        Status.FAILED: (respond + GRACE + timedelta(days=1), None),
    }[status]


AGE_LIMITS = {(status, priority): _age_limits(status, priority) for status in Status for priority in WINDOWS}


class CaseMaker:
    """ReferralCase rows (field values) with consistent metadata; references unique across calls."""

    def __init__(self, seed, now):
        self.rng = random.Random(seed)
        self.now = now
        self.numbers = Counter()
        self.start = timezone.make_aware(datetime(2022, 1, 1))
        # Drawn 100,000 times: the choices and their cumulative weights are worked out once.
        self.years = [
            (max(self.start, timezone.make_aware(datetime(year, 1, 1))), timezone.make_aware(datetime(year + 1, 1, 1)))
            for year in YEAR_WEIGHTS
        ]
        self.year_weights = list(accumulate(YEAR_WEIGHTS.values()))
        self.priorities, self.priority_weights = list(PRIORITY_WEIGHTS), list(accumulate(PRIORITY_WEIGHTS.values()))
        self.oldest_open = max(oldest for _youngest, oldest in AGE_LIMITS.values() if oldest)
        self.closed = [code for code in STATUS_WEIGHTS if AGE_LIMITS[code, "routine"][1] is None]
        self.closed_weights = list(accumulate(STATUS_WEIGHTS[code] for code in self.closed))

    def between(self, start, end):
        if end <= start:
            return start
        return start + (end - start) * self.rng.random()

    def created_at(self):
        start, end = self.rng.choices(self.years, cum_weights=self.year_weights)[0]
        return self.between(start, min(self.now - timedelta(minutes=5), end))

    def case(self, sender, receiver, status=None):
        """A case from `sender` to `receiver`: `status` given (its age drawn to fit) or drawn by age."""
        rng = self.rng
        priority = rng.choices(self.priorities, cum_weights=self.priority_weights)[0]
        if status is None:
            created = self.created_at()
            age = self.now - created
        if status is None and age > self.oldest_open:
            status = rng.choices(self.closed, cum_weights=self.closed_weights)[0]
        elif status is None:
            possible = [
                code
                for code in STATUS_WEIGHTS
                if AGE_LIMITS[code, priority][0] <= age <= (AGE_LIMITS[code, priority][1] or age)
            ]
            status = rng.choices(possible, weights=[STATUS_WEIGHTS[code] for code in possible])[0]
        else:
            youngest, oldest = AGE_LIMITS[status, priority]
            oldest = min(oldest or (self.now - self.start), self.now - self.start)
            created = self.now - self.between(youngest, oldest)
        year = created.year
        self.numbers[year] += 1
        fields = {
            "id": uuid.uuid4(),
            "reference": f"VSE-{year}-{self.numbers[year]:05d}",
            "sending_organisation_id": sender.pk,
            "receiving_organisation_id": receiver.pk,
            "priority": priority,
            "status": status,
            "created_at": created,
            "consent_obtained_on": created.date(),
            "consent_method": "in-person",
            "consent_to_share": True,
            "consent_to_contact": True,
            "consent_to_report_back": rng.random() < 0.8,
            "age_band": rng.choice(["18-25", "26-64", "26-64", "65+", "child"]),
            "contact_channels": ["phone"],
            "crime_country": receiver.country,
            "residence_country": sender.country,
            "crime_type": rng.choice(CRIME_TYPES),
            "support_needed": rng.sample(SUPPORT, k=2),
        }
        fields.update(self.lifecycle(created, status, priority))
        return fields

    def lifecycle(self, created, status, priority):
        """The times a case in `status` went through, none after now."""
        now, rng = self.now, self.rng
        respond, contact = WINDOWS[priority]
        stamps = {"updated_at": created}
        if status == Status.DRAFT:
            stamps["updated_at"] = self.between(created, now)
            return stamps
        sent = self.between(created, min(now, created + timedelta(hours=4)))
        stamps.update(sent_at=sent, respond_by=sent + respond, updated_at=sent)
        if status == Status.REQUESTED:
            return stamps
        if status == Status.CANCELLED:
            closed = self.between(sent, min(now, sent + timedelta(days=10)))
            return self._closed(stamps, closed, reason=REASONS[status])
        if status == Status.FAILED and (rng.random() < 0.4 or sent + respond + contact > now):
            # Never answered: expired by the reminders after the grace period.
            return self._closed(stamps, sent + respond + GRACE, code="expired")
        received = self.between(sent, min(now, sent + respond / 2))
        stamps.update(received_at=received, updated_at=received)
        if status == Status.RECEIVED:
            return stamps
        answered = self.between(received, min(now, sent + respond))
        stamps.update(answered_at=answered, updated_at=answered)
        if status == Status.REJECTED:
            return self._closed(stamps, answered, reason=REASONS[status])
        stamps["contact_by"] = answered + contact
        if status == Status.ACCEPTED:
            return stamps  # some are overdue: the victim not yet contacted by `contact_by`
        if status == Status.FAILED:
            closed = self.between(answered + contact, min(now, answered + contact + timedelta(days=14)))
            return self._closed(stamps, closed, code="unreachable", outcome="unreachable")
        contacted = self.between(answered, min(now, answered + contact + timedelta(days=2)))
        stamps.update(victim_contacted_at=contacted, updated_at=contacted)
        if status == Status.ON_HOLD:
            stamps.update(status_before_hold=Status.IN_PROGRESS, status_reason=REASONS[status])
            return stamps
        if status == Status.IN_PROGRESS:
            return stamps
        closed = self.between(contacted + timedelta(days=7), min(now, contacted + timedelta(days=120)))
        return self._closed(stamps, closed, outcome=rng.choice(["supported", "supported", "referred-on"]))

    def _closed(self, stamps, closed, *, reason="", code="", outcome=""):
        stamps.update(closed_at=closed, updated_at=closed, status_reason=reason)
        stamps.update(status_reason_code=code, outcome=outcome, purge_after=closed + timedelta(days=365))
        if stamps["purge_after"] < self.now:
            stamps["purged_at"] = stamps["purge_after"] + timedelta(hours=1)
        return stamps

    def save_reference_numbers(self):
        """The app's next reference of each year follows the bulk-made ones."""
        for year, number in self.numbers.items():
            ReferenceSequence.objects.update_or_create(year=year, defaults={"last_number": number})


@contextmanager
def bulk_loading(*models):
    """Keep the given creation times, and encrypt each distinct value once (the empty personal
    fields of 100,000 rows are the same value), for the duration of a bulk load only."""
    stamped = [
        (field, field.auto_now, field.auto_now_add)
        for model in models
        for field in model._meta.concrete_fields
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
    ]
    encrypted = [field for model in models for field in model._meta.concrete_fields if _is_encrypted(field)]
    for field, _now, _add in stamped:
        field.auto_now = field.auto_now_add = False
    for field in encrypted:
        field.get_db_prep_value = _memoised(field.get_db_prep_value)
    try:
        yield
    finally:
        for field, auto_now, auto_now_add in stamped:
            field.auto_now, field.auto_now_add = auto_now, auto_now_add
        for field in encrypted:
            del field.get_db_prep_value


def _is_encrypted(field):
    return hasattr(field, "serialize_plain")


def _memoised(prepare):
    tokens = {}

    def prepare_once(value, connection, prepared=False):
        key = (type(value), value)
        if key not in tokens:
            tokens[key] = prepare(value, connection, prepared)
        return tokens[key]

    return prepare_once


# Django's own field types whose values psycopg takes as they are (subclasses, such as the
# encrypted fields or CountryField, go through the field).
PLAIN_TYPES = (
    models.CharField, models.TextField, models.BooleanField, models.IntegerField, models.PositiveIntegerField,
    models.PositiveSmallIntegerField, models.SmallIntegerField, models.BigIntegerField, models.DateTimeField,
    models.DateField, models.UUIDField, models.SlugField,
)  # fmt: skip


def bulk_insert(model, rows):
    """Insert `rows` (field values by attribute name; the other fields take their defaults) as
    given, creation times included: with COPY on PostgreSQL (100,000 referrals in seconds rather
    than minutes), with bulk_create elsewhere."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        with bulk_loading(model):
            model.objects.bulk_create([model(**row) for row in rows], batch_size=500)
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if not (field.primary_key and field.attname not in rows[0] and not field.has_default())  # serial ids
        and not field.generated  # the database computes those
    ]
    per_row = {field.attname: field for field in fields if field.has_default() and callable(field.default)}
    fixed = {field.attname: field.get_default() for field in fields if field.attname not in per_row}
    plain = {
        field.attname
        for field in fields
        if type(field) in PLAIN_TYPES
        or (field.is_relation and type(field.target_field) in (models.AutoField, models.BigAutoField))
    }
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    with bulk_loading(model), connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {quote(model._meta.db_table)} ({columns}) FROM STDIN") as copy:
            for row in rows:
                values = []
                for field in fields:
                    name = field.attname
                    if name in row:
                        value = row[name]
                    else:
                        value = per_row[name].get_default() if name in per_row else fixed[name]
                    values.append(value if name in plain else field.get_db_prep_save(value, connection))
                copy.write_row(values)


class Network:
    """The organisations, who is measured, and the cases between them."""

    def __init__(self, seed=2026):
        self.now = timezone.now()
        self.maker = CaseMaker(seed, self.now)
        self.rng = random.Random(seed + 1)
        self.total = 0
        self.busy_total = 0

    # People and organisations ----------------------------------------------------------------

    def build_members(self):
        self.organisations = [
            builders.make_organisation(f"Bench member {index:02d}", country=COUNTRIES[index % len(COUNTRIES)])
            for index in range(ORGANISATIONS)
        ]
        self.contact_points = {
            organisation.pk: builders.make_contact_point(organisation, username=f"poc-{index:02d}")
            for index, organisation in enumerate(self.organisations)
        }
        self.ordinary, self.busy, *self.others = self.organisations
        self.ordinary_user = self.contact_points[self.ordinary.pk]
        self.busy_user = self.contact_points[self.busy.pk]
        # The VSE office: referral metadata in the network overview, nothing else.
        self.office_user = builders.make_user("vse-office", is_staff=True)
        self.office_user.user_permissions.add(
            Permission.objects.get(content_type__app_label="vse_referrals", codename="view_referral_metadata")
        )
        # A network administrator (designates points of contact): the referral statistics.
        self.administrator = builders.make_user("vse-network-admin", is_staff=True)
        builders.grant_model_permissions(self.administrator, ContactPoint, actions=("add", "change", "view"))
        self.groups = dict(Organisation.objects.values_list("pk", "contact_points_group_id"))
        self.guardian_permission = Permission.objects.create(
            codename="bench_view_referralcase",
            name="Can view the referral (per-case benchmark alternative)",
            content_type=ContentType.objects.get_for_model(ReferralCase),
        )

    # Referrals -------------------------------------------------------------------------------

    def build_cases(self, total):
        """Grow the network to `total` referrals; the ordinary member's caseload stays the same."""
        if self.total == 0:
            self._insert(self._ordinary_cases())
        busy_wanted = round(total * BUSY_SHARE)
        pairs = [self._busy_pair() for _ in range(busy_wanted - self.busy_total)]
        pairs += [self.rng.sample(self.others, 2) for _ in range(total - self.total - len(pairs))]
        self.busy_total = busy_wanted
        for start in range(0, len(pairs), 5000):
            self._insert(self.maker.case(sender, receiver) for sender, receiver in pairs[start : start + 5000])
        self.maker.save_reference_numbers()
        recount_statistics()

    def _busy_pair(self):
        partner = self.rng.choice(self.others)
        return (self.busy, partner) if self.rng.random() < 0.5 else (partner, self.busy)

    def _ordinary_cases(self):
        """4 referrals in each status, half sent and half received; one with the busy member is
        the measured case (in progress, 50 messages)."""
        cases = []
        statuses = [status for status in Status.values for _ in range(ORDINARY_CASELOAD // len(Status.values))]
        for index, status in enumerate(statuses):
            partner = self.others[index % len(self.others)]
            sends = status == Status.DRAFT or index % 2 == 0
            sender, receiver = (self.ordinary, partner) if sends else (partner, self.ordinary)
            cases.append(self.maker.case(sender, receiver, status))
        measured = self.maker.case(self.busy, self.ordinary, Status.IN_PROGRESS)
        measured.update(builders.PERSONAL_VALUES)
        cases[statuses.index(Status.IN_PROGRESS)] = measured
        self.measured_case_id = measured["id"]
        self.busy_total = 1
        return cases

    def _insert(self, cases):
        cases = list(cases)
        # The per-case design (benchmark only): both organisations' groups get a guardian object
        # permission on each case; the receiver's once the case has been sent.
        permission = self.guardian_permission
        grants = [
            {
                "group_id": self.groups[organisation_id],
                "permission_id": permission.pk,
                "content_type_id": permission.content_type_id,
                "object_pk": str(case["id"]),
            }
            for case in cases
            for organisation_id in (
                (case["sending_organisation_id"], case["receiving_organisation_id"])
                if case.get("sent_at")
                else (case["sending_organisation_id"],)
            )
        ]
        with transaction.atomic():
            bulk_insert(ReferralCase, cases)
            bulk_insert(GroupObjectPermission, grants)
        self.total += len(cases)

    def build_conversation(self, messages=50):
        """The measured case's timeline and conversation."""
        case = self.measured_case = ReferralCase.objects.get(pk=self.measured_case_id)
        sides = [(self.busy_user, self.busy), (self.ordinary_user, self.ordinary)]
        events = [
            CaseEvent(case=case, kind=kind, actor=user, organisation=organisation, created_at=when, to_status=status)
            for kind, (user, organisation), when, status in [
                ("created", sides[0], case.created_at, Status.DRAFT),
                ("sent", sides[0], case.sent_at, Status.REQUESTED),
                ("received", sides[1], case.received_at, Status.RECEIVED),
                ("accepted", sides[1], case.answered_at, Status.ACCEPTED),
                ("started", sides[1], case.victim_contacted_at, Status.IN_PROGRESS),
            ]
        ]
        start = case.victim_contacted_at
        step = (self.now - start) / (messages + 1)
        conversation = []
        for number in range(messages):
            user, organisation = sides[number % 2]
            when = start + step * (number + 1)
            body = f"<p>Message {number + 1}: an update on the support and the next appointment.</p>"
            conversation.append(
                CaseMessage(case=case, author=user, organisation=organisation, body=body, created_at=when)
            )
            events.append(CaseEvent(case=case, kind="message", actor=user, organisation=organisation, created_at=when))
        with bulk_loading(CaseMessage, CaseEvent), transaction.atomic():
            CaseMessage.objects.bulk_create(conversation)
            CaseEvent.objects.bulk_create(events)

    # Directory -------------------------------------------------------------------------------

    def build_directory(self, members):
        """Grow the directory to `members` live profiles, each with 2 to 4 services (two terms of
        each vocabulary), a helpline and an office (every fourth also a hidden shelter).

        Profiles are added to the page tree one by one (`add_child`, so the tree stays valid);
        their services, helplines and locations are inserted in bulk, with their vocabularies.
        """
        if not hasattr(self, "directory"):
            self.directory = builders.make_directory()
            self.member_count = 0
            self.terms = {
                keyword: list(model.objects.values_list("pk", flat=True))
                for keyword, (_relation, model) in builders.SERVICE_TERMS.items()
            }
        rng = self.rng
        with transaction.atomic():
            pages = [
                builders.make_member(
                    self.directory,
                    f"Bench victim support {index:03d} ({COUNTRIES[index % len(COUNTRIES)]})",
                    country=COUNTRIES[index % len(COUNTRIES)],
                    organisation=self.organisations[index] if index < len(self.organisations) else None,
                    summary="Free and confidential support for anyone affected by crime.",
                    last_verified=self.now.date() - timedelta(days=rng.randint(10, 500)),
                )
                for index in range(self.member_count, members)
            ]
            services, helplines, locations = [], [], []
            for page in pages:
                services += [
                    MemberService(
                        page=page,
                        locale=page.locale,  # bulk_create skips Wagtail's pre_save that sets it
                        sort_order=number,
                        name=f"Service {number + 1} of {page.title}",
                        description="Listening, information and practical help.",
                        countries_served=[page.country],
                        open_24_7=rng.random() < 0.2,
                    )
                    for number in range(rng.randint(2, 4))
                ]
                helplines.append(
                    MemberHelpline(
                        page=page, locale=page.locale, sort_order=0, label="Victim helpline", number="116 006"
                    )
                )
                locations.append(
                    MemberLocation(page=page, locale=page.locale, sort_order=0, name="Office", city="Capital")
                )
                if len(locations) % 4 == 0:
                    locations.append(
                        MemberLocation(
                            page=page,
                            locale=page.locale,
                            sort_order=1,
                            name="Shelter",
                            city="Capital",
                            visibility="hidden",
                        )
                    )
            MemberService.objects.bulk_create(services)
            MemberHelpline.objects.bulk_create(helplines)
            MemberLocation.objects.bulk_create(locations)
            for keyword, (relation, _model) in builders.SERVICE_TERMS.items():
                _link(
                    MemberService, relation, [(service, rng.sample(self.terms[keyword], k=2)) for service in services]
                )
            _link(MemberHelpline, "languages", [(line, rng.sample(self.terms["languages"], k=2)) for line in helplines])
        self.member_count = members


def _link(model, relation, pairs):
    """Bulk-insert many-to-many rows: `pairs` of (instance, [related primary keys])."""
    field = model._meta.get_field(relation)
    through = field.remote_field.through
    source, target = f"{field.m2m_field_name()}_id", f"{field.m2m_reverse_field_name()}_id"
    through.objects.bulk_create(
        [through(**{source: instance.pk, target: related}) for instance, keys in pairs for related in keys]
    )


def recount_statistics():
    """The statistics' running counts of the closed referrals, as the workflow adds each one on
    closing: counted afresh after a bulk load, in one pass (adding batch by batch is far slower)."""
    counts = tally.count(ReferralCase.objects.all())
    with transaction.atomic():
        ReferralTally.objects.all().delete()
        ReferralTally.objects.bulk_create(
            (ReferralTally(month=month, organisation_id=member, key=key, count=number)
             for (month, member, key), number in counts.items()),
            batch_size=2000,
        )  # fmt: skip


def vacuum_analyze():
    """Fresh planner statistics after a bulk load, as autovacuum would give a real database."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def caseload(organisation):
    """How many referrals `organisation` is party to (its own drafts included)."""
    sent = ReferralCase.objects.filter(sending_organisation=organisation).count()
    received = ReferralCase.objects.filter(receiving_organisation=organisation, sent_at__isnull=False).count()
    return sent + received


def status_counts():
    rows = ReferralCase.objects.order_by().values_list("status").annotate(number=Count("pk"))
    return dict(rows)
