"""The benchmark's own databases: PostgreSQL when a server answers, otherwise SQLite files.

There are two: `default` holds the network at the smaller size, `large` starts as a copy of it
(same ids, same users, same pages) and is grown to the larger size. A third, `scratch`, is a
throwaway copy of either, made anew for each cron command whose memory is measured: the command
commits there, as cron runs it, and the network measured stays as built. Both sizes are then measured
side by side, request by request, so that load from elsewhere on the machine falls on both
alike. They are chosen before Django starts (the settings read `VSE_BENCH_DATABASE_URL`,
`VSE_BENCH_LARGE_DATABASE_URL` and `VSE_BENCH_SCRATCH_DATABASE_URL`). Their names derive from
the clone's path, so two clones benchmarking at once on one server never drop each other's
data, and none is ever the suite's `test` database.
"""

import hashlib
import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVER = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")
SMALL, LARGE = "default", "large"
# A throwaway copy for what must commit (the cron commands' memory, `benchmarks.memory`).
SCRATCH = "scratch"


@dataclass
class BenchDatabases:
    vendor: str  # "postgresql" or "sqlite"
    names: dict  # alias: database name (PostgreSQL) or file (SQLite)
    urls: dict  # alias: URL
    folder: str = ""

    def copy_small_to_large(self):
        """The large database starts as an exact copy of the small one."""
        self.copy(SMALL, LARGE)

    def copy(self, source, target):
        """Database `target` becomes an exact copy of `source` (Django's connections must be
        closed: PostgreSQL copies a database nobody is connected to)."""
        if self.vendor == "postgresql":
            _admin(f'DROP DATABASE IF EXISTS "{self.names[target]}" WITH (FORCE)')
            _admin(f'CREATE DATABASE "{self.names[target]}" TEMPLATE "{self.names[source]}"')
        else:
            shutil.copyfile(self.names[source], self.names[target])

    def scratch_copy(self, source):
        """`SCRATCH` becomes a copy of `source`, whose commits do not wait for the disk (it is
        thrown away): a run that commits often is timed by the CPU, not by the disk's flushes."""
        self.copy(source, SCRATCH)
        if self.vendor == "postgresql":
            _admin(f'ALTER DATABASE "{self.names[SCRATCH]}" SET synchronous_commit = off')

    def drop(self):
        if self.vendor == "postgresql":
            for name in self.names.values():
                _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            shutil.rmtree(self.folder, ignore_errors=True)


def _admin(statement):
    import psycopg

    with psycopg.connect(f"{SERVER}/postgres", autocommit=True, connect_timeout=3) as connection:
        connection.execute(statement)


def create():
    """New, empty databases for this run (PostgreSQL if it answers; BENCH_SQLITE=1 forces SQLite)."""
    clone = hashlib.sha1(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()[:8]
    base = os.environ.get("BENCH_DATABASE_NAME", f"vse_bench_{clone}")
    names = {SMALL: base, LARGE: f"{base}_large", SCRATCH: f"{base}_scratch"}
    if "test" in names.values():
        raise SystemExit("The benchmark never uses the suite's `test` database.")
    if not os.environ.get("BENCH_SQLITE"):
        try:
            for name in names.values():
                _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            _admin(f'CREATE DATABASE "{names[SMALL]}"')
        except Exception as error:  # no server, no driver, no rights: SQLite instead
            print(f"PostgreSQL at {SERVER} is not usable ({type(error).__name__}: {error}); using SQLite.")
        else:
            return BenchDatabases("postgresql", names, {alias: f"{SERVER}/{name}" for alias, name in names.items()})
    folder = tempfile.mkdtemp(prefix="vse-bench-")
    files = {alias: os.path.join(folder, f"{name}.sqlite3") for alias, name in names.items()}
    return BenchDatabases("sqlite", files, {alias: f"sqlite:///{path}" for alias, path in files.items()}, folder)


@contextmanager
def active(alias):
    """Run the code inside on database `alias`: Django's default connection is that database's
    for the duration (the app, Wagtail and the test client all use the default connection)."""
    from django.db import connections

    if alias == SMALL:
        yield
        return
    small = connections[SMALL]
    connections[SMALL] = connections[alias]
    try:
        yield
    finally:
        connections[SMALL] = small
