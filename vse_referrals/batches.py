"""Walk a large queryset in batches, so the cron commands' memory does not follow the network's size.

`in_batches(queryset)` yields its rows ordered by primary key, `size` at a time, each batch a fresh
query after the last key seen (keyset pagination). Written here rather than using
`QuerySet.iterator(chunk_size=...)` because that keeps one cursor open for the whole walk: on
PostgreSQL a server-side cursor (which a transaction pooler such as PgBouncer may break), on SQLite
a read of the very table the loop updates (an expiry, a purge). A row changed or removed by the
loop itself, or by another process meanwhile, is neither skipped nor seen twice.

A command's memory grows with its batch and then stays flat. The batches are small because each
row costs the commands far more than its share of a batch query (several queries, an e-mail, a
transaction of its own): 25 rows add one query to a hundred or more.
"""

import gc
from contextlib import contextmanager
from contextvars import ContextVar

DEFAULT_SIZE = 25

# Set inside garbage_collected_as_it_goes(): in_batches then collects after each batch.
_collecting = ContextVar("collecting_batch_garbage", default=False)


def in_batches(queryset, size=DEFAULT_SIZE):
    """The rows of `queryset` by ascending primary key, fetched `size` at a time."""
    queryset = queryset.order_by("pk")
    last_pk = None
    while True:
        page = queryset if last_pk is None else queryset.filter(pk__gt=last_pk)
        batch = list(page[:size])
        yield from batch
        if _collecting.get():  # in a long run (garbage_collected_as_it_goes): the batch's garbage goes
            gc.collect()
        if len(batch) < size:
            return
        last_pk = _pk(batch[-1])


def _pk(row):
    """The primary key of a model instance, of a `values_list` row that starts with it, or the key
    itself (`values_list("pk", flat=True)`)."""
    if isinstance(row, tuple):
        return row[0]
    return getattr(row, "pk", row)


@contextmanager
def garbage_collected_as_it_goes():
    """Around a long run (a cron command): its garbage is collected batch by batch (`in_batches`),
    so that its memory stays that of a batch instead of following its work.

    Django makes a few reference cycles for every query, and Python's collector frees them late:
    what outlived a scan of the young generations waits for a scan of the oldest, which comes only
    once as many objects have moved there as a quarter of those it kept last time, and a process
    that has loaded Django and Wagtail keeps hundreds of thousands. A short run ends before that,
    a long one holds its garbage until then. So what exists when the run starts is frozen
    (`gc.freeze`: never scanned again during the run), and a full collection after each batch
    scans only the run's own objects, which is quick. Unfrozen at the end: a command called in a
    long-lived process (the tests, the benchmark) leaves the collector as it found it.
    """
    gc.freeze()
    token = _collecting.set(True)
    try:
        yield
    finally:
        _collecting.reset(token)
        gc.unfreeze()
