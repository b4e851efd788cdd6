"""A year of fictional closed referrals between the demo members, so that every chart of the
referral statistics has something to show (several months, countries, priorities, outcomes).

Bulk-made in one insert, metadata only (a case code instead of a name; no story): the case pages
of these referrals show little, the statistics everything they count.
"""

import random
from datetime import timedelta

from django.utils import timezone

from vse_referrals import conf
from vse_referrals.models import AgeBand, CrimeType, Outcome, ReferralCase, ReferralTally, Status, SupportNeed
from vse_referrals.statistics import tally

HISTORY = 320
MONTHS = 11  # sent within the last 11 months: none is yet due for the retention purge
# (final status, reason code, outcome, weight)
ENDINGS = [
    (Status.COMPLETED, "", Outcome.SUPPORTED, 50),
    (Status.COMPLETED, "", Outcome.REFERRED_ON, 10),
    (Status.COMPLETED, "", Outcome.SUPPORT_DECLINED, 6),
    (Status.FAILED, "unreachable", Outcome.UNREACHABLE, 6),
    (Status.FAILED, "expired", "", 7),
    (Status.REJECTED, "", "", 12),
    (Status.CANCELLED, "", "", 9),
]
PRIORITIES = {"stat": 15, "urgent": 35, "routine": 50}
# How fast each demo member answers, in hours: the figures differ from member to member.
ANSWER_HOURS = {"SE": 10, "FR": 30, "DE": 60, "PT": 20, "IE": 16, "US": 90}
# Busier routes: most referrals go between neighbours and the big members.
ROUTE_WEIGHTS = {"FR": 5, "DE": 4, "SE": 3, "PT": 3, "IE": 2, "US": 1}


def load(organisations_by_country, seed=12):
    rng = random.Random(seed)
    now = timezone.now()
    windows = conf.get("PRIORITY_WINDOWS")
    countries = list(organisations_by_country)
    weights = [ROUTE_WEIGHTS.get(code, 1) for code in countries]
    cases = []
    for number in range(HISTORY):
        sender, receiver = rng.choices(countries, weights=weights, k=2)
        while receiver == sender:
            receiver = rng.choices(countries, weights=weights)[0]
        status, code, outcome, _weight = rng.choices(ENDINGS, weights=[ending[3] for ending in ENDINGS])[0]
        priority = rng.choices(list(PRIORITIES), weights=list(PRIORITIES.values()))[0]
        sent = now - timedelta(days=rng.uniform(20, MONTHS * 30))
        respond_by = sent + timedelta(hours=windows[priority]["respond_hours"])
        stamps = {"sent_at": sent, "respond_by": respond_by}
        if code == "expired":
            stamps["closed_at"] = respond_by + timedelta(hours=conf.get("EXPIRY_GRACE_HOURS"))
        elif status == Status.CANCELLED:
            stamps["closed_at"] = sent + timedelta(hours=rng.uniform(2, 40))
        else:
            answered = sent + timedelta(hours=rng.expovariate(1 / ANSWER_HOURS[receiver]))
            stamps.update(received_at=sent + (answered - sent) / 2, answered_at=answered, closed_at=answered)
            if status != Status.REJECTED:
                contacted = answered + timedelta(hours=rng.uniform(4, 72))
                stamps.update(
                    contact_by=answered + timedelta(hours=windows[priority]["contact_hours"]),
                    victim_contacted_at=None if code == "unreachable" else contacted,
                    closed_at=contacted + timedelta(days=rng.uniform(5, 15)),
                )
        cases.append(
            ReferralCase(
                reference=f"{conf.get('REFERENCE_PREFIX')}-DEMO-{number + 1:04d}",
                sending_organisation=organisations_by_country[sender],
                receiving_organisation=organisations_by_country[receiver],
                priority=priority,
                status=status,
                status_reason_code=code,
                outcome=outcome,
                name=f"Demo case H-{number + 1:04d}",
                name_is_code=True,
                consent_obtained_on=sent.date(),
                consent_method="in-person",
                consent_to_share=True,
                consent_to_contact=True,
                crime_country=organisations_by_country[receiver].country,
                residence_country=organisations_by_country[sender].country,
                crime_type=rng.choice(CrimeType.values),
                age_band=rng.choice(AgeBand.values),
                support_needed=rng.sample(SupportNeed.values, k=rng.randint(1, 3)),
                purge_after=stamps["closed_at"] + timedelta(days=conf.get("RETENTION_DAYS")),
                **stamps,
            )
        )
    for case in cases:
        case.closed_at = min(case.closed_at, now - timedelta(hours=1))
    ReferralCase.objects.bulk_create(cases)
    # Their creation and update times are those of their story, not of the demo's loading.
    for case in cases:
        ReferralCase.objects.filter(pk=case.pk).update(created_at=case.sent_at, updated_at=case.closed_at)
    # All closed: counted by the statistics as the workflow counts a referral when it closes.
    ReferralTally.objects.add(tally.count(ReferralCase.objects.filter(pk__in=[case.pk for case in cases])))
    return len(cases)
