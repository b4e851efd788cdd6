"""`make bench`: build a synthetic network at 1,000 then 100,000 referrals and measure each page.

    python -m benchmarks.run            # from the repository root; writes docs/benchmarks.md

Environment: BENCH_POSTGRES (server URL, default postgres://postgres@127.0.0.1:5432),
BENCH_SQLITE=1 (force SQLite), BENCH_REPEATS (timed requests per page and size, default 11),
BENCH_SIZES (default "1000,100000"), BENCH_MEMBERS (default "22,500"), BENCH_MEMORY_SIZE (the
smaller size at which the cron commands' peak memory is measured, default 10000; the larger is the
larger of BENCH_SIZES),
BENCH_KEEP_DATABASE=1 (keep the databases afterwards to look at them), BENCH_OUTPUT (the report).

It is a report: it exits 0 whatever the results, and says which targets are missed.
"""

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main():
    from . import database

    started = time.perf_counter()
    phases = {}
    databases = database.create()
    os.environ["VSE_BENCH_DATABASE_URL"] = databases.urls[database.SMALL]
    os.environ["VSE_BENCH_LARGE_DATABASE_URL"] = databases.urls[database.LARGE]
    os.environ["VSE_BENCH_SCRATCH_DATABASE_URL"] = databases.urls[database.SCRATCH]
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchmarks.settings"
    sys.path[:0] = [str(ROOT), str(ROOT / "example_site")]
    try:
        result = _run(databases, phases)
    finally:
        if not os.environ.get("BENCH_KEEP_DATABASE"):
            from django.db import connections

            connections.close_all()
            databases.drop()
    from . import report

    phases["total"] = time.perf_counter() - started
    text = report.render(result, phases)
    print(text)
    output = Path(os.environ.get("BENCH_OUTPUT", ROOT / "docs" / "benchmarks.md"))
    output.parent.mkdir(parents=True, exist_ok=True)
    previous = output.read_text() if output.exists() else ""
    output.write_text(report.keeping_load_test(text, previous))
    print(f"Written to {output}")


def _run(databases, phases):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from . import memory, network, scenario
    from .database import LARGE, SMALL, active

    small_size, large_size = (int(size) for size in os.environ.get("BENCH_SIZES", "1000,100000").split(","))
    small_members, large_members = (int(count) for count in os.environ.get("BENCH_MEMBERS", "22,500").split(","))
    repeats = int(os.environ.get("BENCH_REPEATS", "11"))
    memory_size = int(os.environ.get("BENCH_MEMORY_SIZE", "10000"))
    if not small_size <= memory_size < large_size:
        raise SystemExit("BENCH_MEMORY_SIZE must lie between the two sizes of BENCH_SIZES.")
    peaks = []

    def phase(name, function, *args):
        _say(f"{name}...")
        start = time.perf_counter()
        value = function(*args)
        phases[name] = time.perf_counter() - start
        _say(f"{name}: {phases[name]:.1f} s")
        return value

    phase("migrate", call_command, "migrate", "--no-input", "--verbosity", "0")
    net = network.Network()
    phase("build organisations and points of contact", net.build_members)
    phase(f"build {small_size:,} referrals (+ per-case guardian rows)", net.build_cases, small_size)
    phase("build the measured case's 50 messages", net.build_conversation)
    phase(f"build the directory of {small_members} members", net.build_directory, small_members)
    phase("vacuum analyze", network.vacuum_analyze)
    connections.close_all()
    phase("copy the database for the larger size", databases.copy_small_to_large)
    with active(LARGE):
        # The copy passes through the memory measurement's smaller size on its way to the larger.
        if memory_size > small_size:
            phase(f"grow to {memory_size:,} referrals", net.build_cases, memory_size)
        memory_at_size = phase(f"cron commands' memory at {memory_size:,}", memory.measure, databases, LARGE)
        peaks.append({"size": memory_size, "commands": memory_at_size})
        phase(f"grow to {large_size:,} referrals (+ per-case guardian rows)", net.build_cases, large_size)
        phase(f"grow the directory to {large_members} members", net.build_directory, large_members)
        phase("vacuum analyze (larger size)", network.vacuum_analyze)
    sizes = [(SMALL, small_size, small_members), (LARGE, large_size, large_members)]
    measured = phase("measure both sizes, side by side", scenario.measure, net, repeats, sizes)
    memory_at_size = phase(f"cron commands' memory at {large_size:,}", memory.measure, databases, LARGE)
    peaks.append({"size": large_size, "commands": memory_at_size})
    return {"database": databases.vendor, "measured": measured, "memory": peaks, "versions": scenario.versions()}


def _say(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


if __name__ == "__main__":
    main()
