"""What the tests that race two threads on the database share."""

import pytest
from django.db import connection

# Such a test commits (transaction=True) and reloads the data it flushed (serialized_rollback:
# a plain flush would recreate the content types under new ids on PostgreSQL, which the next
# test's serialized data then collides with). SQLite's in-memory test database cannot be shared
# between threads: other threads reach it only through a shared cache, where a concurrent writer
# fails with "database table is locked" instead of waiting for the row lock.
MARKS = (
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor == "sqlite",
        reason="SQLite's in-memory test database cannot be shared between threads; this runs on PostgreSQL",
    ),
)


def races_threads(test):
    """Mark `test`, which races threads on the database, as such a test is run."""
    for mark in MARKS:
        test = mark(test)
    return test
