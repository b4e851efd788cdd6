"""Walking a queryset in batches (vse_referrals/batches.py), as the cron commands do."""

import gc
import weakref
from datetime import timedelta

import pytest
from django.utils import timezone

from vse_referrals import retention
from vse_referrals.batches import garbage_collected_as_it_goes, in_batches
from vse_referrals.models import ReferralCase

from . import builders

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_drafts(org_a, org_b):
    return sorted(builders.make_case(org_a, org_b).pk for _ in range(5))


def test_every_row_once_in_key_order(five_drafts, django_assert_num_queries):
    with django_assert_num_queries(3):  # 2 + 2 + 1: the short last batch ends the walk
        assert [case.pk for case in in_batches(ReferralCase.objects.all(), size=2)] == five_drafts


def test_values_lists_and_an_exact_multiple(five_drafts, django_assert_num_queries):
    with django_assert_num_queries(2):  # 5 then the empty batch that ends the walk
        assert list(in_batches(ReferralCase.objects.values_list("pk", flat=True), size=5)) == five_drafts
    pairs = list(in_batches(ReferralCase.objects.values_list("pk", "reference"), size=2))
    assert [pk for pk, _reference in pairs] == five_drafts


def test_rows_removed_by_the_loop_skip_nothing(five_drafts):
    seen = []
    for case in in_batches(ReferralCase.objects.all(), size=2):
        seen.append(case.pk)
        ReferralCase.objects.filter(pk=case.pk).delete()
    assert seen == five_drafts


def test_the_purge_reaches_past_the_first_batch(five_drafts, settings, monkeypatch):
    """Stale drafts are deleted in batches: all of them, not the first batch only."""
    monkeypatch.setattr(in_batches, "__defaults__", (2,))
    ReferralCase.objects.update(updated_at=timezone.now() - timedelta(days=400))
    result = retention.run()
    assert result.drafts_deleted == 5
    assert not ReferralCase.objects.exists()


class _Node:
    pass


def test_a_long_run_collects_its_garbage_as_it_goes():
    """A reference cycle that outlived two young collections (as the objects of a batch still in
    use do) is collected during the run, not once the run has made a quarter as many objects as
    the whole process held; and the collector is left as it was found."""
    process = [[] for _ in range(1_000_000)]  # what a process that has loaded Django holds, and more
    gc.collect()
    with garbage_collected_as_it_goes():
        cycle = _Node()
        cycle.itself = cycle
        gone = weakref.ref(cycle)
        gc.collect(1)
        gc.collect(1)  # now in the oldest generation
        del cycle
        run = [[] for _ in range(150_000)]  # the run goes on; the collector runs by itself
        assert gone() is None
    assert gc.get_freeze_count() == 0
    assert len(process) + len(run) == 1_150_000
