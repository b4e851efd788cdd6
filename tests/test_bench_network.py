"""The benchmark's synthetic network builds on the app as it is today (`make bench` and
`make loadtest` run outside `make test`: a model change that breaks them shows here first)."""

import pytest
from django.db.models import Sum

from benchmarks import network
from vse_referrals.models import CLOSED_STATUSES, MemberOrganisationPage, MemberService, ReferralCase, ReferralTally


@pytest.mark.django_db
def test_the_bench_network_builds_at_a_small_size():
    net = network.Network(seed=7)
    net.build_members()
    net.build_cases(60)
    net.build_conversation(messages=3)
    net.build_directory(4)
    assert ReferralCase.objects.count() >= 60
    # The closed referrals are in the statistics' running counts, once each.
    closed = ReferralCase.objects.filter(status__in=CLOSED_STATUSES, sent_at__isnull=False).count()
    counted = ReferralTally.objects.filter(organisation=None, key="monthly:sent").aggregate(total=Sum("count"))
    assert closed and counted["total"] == closed
    pages = MemberOrganisationPage.objects.filter(title__startswith="Bench victim support")
    assert pages.count() == 4
    services = MemberService.objects.filter(page__in=pages)
    assert services.exists()
    assert not services.exclude(locale=pages.first().locale).exists()
