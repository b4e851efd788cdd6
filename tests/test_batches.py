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


def test_a_long_run_collects_its_garbage_batch_by_batch(five_drafts):
    """A reference cycle that outlived two young collections (as the objects a batch still uses
    do) is collected before the next batch, not once the process has made a quarter as many
    objects as it held; and the collector is left as it was found."""
    gone = []
    with garbage_collected_as_it_goes():
        for pk in in_batches(ReferralCase.objects.values_list("pk", flat=True), size=2):
            if pk == five_drafts[0]:
                cycle = _Node()
                cycle.itself = cycle
                gone.append(weakref.ref(cycle))
                gc.collect(1)
                gc.collect(1)  # now in the oldest generation
                del cycle
            elif pk == five_drafts[2]:  # the next batch
                assert gone[0]() is None
    assert gc.get_freeze_count() == 0
    assert len(gone) == 1
