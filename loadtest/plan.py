"""What the simulated users work on, added to the benchmark's network before the load starts.

Points of contact come in pairs: each of `PAIRS` organisations gets a deputy beside its primary
point of contact (the network has one per organisation), so that two people of the same
organisation can race to accept the same referral. Each organisation receives, through the
workflow (encrypted, audited, notified like any other):

- `OPEN_CASES` accepted referrals to open, write in and add files to;
- `RACE_CASES` requested referrals, accepted by both of the pair at the same moment.

The plan is written as JSON for the locust process, which has no Django.
"""

import base64

from tests import builders
from vse_referrals import workflow
from vse_referrals.models import ContactPoint

PAIRS = 15
OPEN_CASES = 2
RACE_CASES = 25


def build(net):
    """The plan for `net` (a built `benchmarks.network.Network`): users, cases, public URLs."""
    organisations = net.organisations[:PAIRS]
    senders = net.organisations[PAIRS : 2 * PAIRS]
    pairs = []
    for organisation, sender in zip(organisations, senders, strict=True):
        primary = net.contact_points[organisation.pk]
        deputy = builders.make_contact_point(
            organisation, role=ContactPoint.Role.DEPUTY, username=f"{primary.username}-deputy"
        )
        sender_user = net.contact_points[sender.pk]
        open_cases = []
        for _ in range(OPEN_CASES):
            case = builders.sent_case(sender_user, organisation)
            open_cases.append(str(workflow.perform(case, "accept", builders.acting(primary)).pk))
        race_cases = [str(builders.sent_case(sender_user, organisation).pk) for _ in range(RACE_CASES)]
        pairs.append(
            {
                "organisation": organisation.pk,
                "users": [primary.username, deputy.username],
                "open_cases": open_cases,
                "race_cases": race_cases,
            }
        )
    directory = net.directory.get_url()
    return {
        "password": "password",  # tests/builders.py gives every account this one
        "pairs": pairs,
        "directory": directory,
        "map": f"{directory}api/map/",
        "hsds": f"{directory}api/services/",
        "pdf": base64.b64encode(builders.PDF_BYTES).decode(),
    }
