"""The report of `make loadtest`: throughput, times per endpoint, the checks, PASS/FAIL.

It is the "## Load test" section of docs/benchmarks.md: written in place of the previous one
(or at the end), so the benchmark's sections above it stay as they are.
"""

import csv
import os
import time

from benchmarks.report import LOAD_TEST_HEADING as HEADING  # the bench keeps this section
from benchmarks.report import cpu_description

INBOX = "inbox"
INBOX_LIMIT = 5  # the inbox's 95th percentile under load, at most this many times its median alone

INTRO = """\
Written by `make loadtest` (`loadtest/`; not part of `make test`). On a PostgreSQL database of
its own, the benchmark's synthetic network ({referrals:,} referrals, {members} directory
members) and, through the workflow, a deputy beside the primary point of contact of 15
organisations, 2 accepted referrals each to write in and 25 requested referrals each to accept.
The example site runs as production runs it: gunicorn (`example_site/gunicorn.conf.py`) and the
database-backed task worker (django-tasks-db's `db_worker`), on 127.0.0.1. locust, headless:
{users} users for {seconds} s (3 points of contact for 2 public visitors, {think_min:g}-{think_max:g} s
between two visits: the time a person takes to read a page, see `loadtest/run.py`; the e-mails
of the set-up are sent before the measurements). Points of contact sign in with a password
(two-step verification is off for the load test only, `loadtest/settings.py`), browse the
dashboard and the inbox, open cases, post messages, add a small PDF, and accept referrals, the
two of a pair at the same moment on the same referral. Visitors browse the directory, its map
data and the HSDS API.

Then the checks: every message and file the server acknowledged is stored exactly once, no
one-time step is in a case's timeline twice and each raced referral was accepted once, every
outbox row was sent, and the e-mails the worker wrote go to the outbox's recipients as many
times as the outbox says.
"""


def read_locust_csv(path):
    rows = {}
    with open(path, newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "median": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
                "rps": float(row["Requests/s"] or 0),
            }
    return rows


def targets(result):
    stats, checks = result["stats"], result["checks"]
    total = stats.get("Aggregated", {"requests": 0, "failures": 0})
    inbox_p95 = stats.get(INBOX, {}).get("p95")
    single = result["single_user_inbox_ms"]
    transitions, notes = checks["transitions"], checks["notifications"]
    lost = (
        checks["messages"]["lost"]
        + checks["files"]["lost"]
        + transitions["raced_not_accepted"]
        + notes["lost"]
        + notes["unsent_rows"]
    )
    duplicated = (
        checks["messages"]["duplicated"]
        + checks["files"]["duplicated"]
        + transitions["repeated"]
        + transitions["raced_accepted_twice"]
        + notes["duplicated"]
    )
    return [
        ("Errors (failed requests)", total["failures"], "0", total["failures"] == 0 and total["requests"] > 0),
        ("Lost: acknowledged messages and files, raced referrals not accepted, e-mails", lost, "0", lost == 0),
        ("Duplicated: messages and files, steps applied twice, e-mails", duplicated, "0", duplicated == 0),
        (
            f"Inbox 95th percentile under load / its median alone ({_ms(inbox_p95)} / {_ms(single)} ms)",
            f"{inbox_p95 / single:.2f}×" if inbox_p95 and single else "–",
            f"≤ {INBOX_LIMIT}×",
            bool(inbox_p95 and single and inbox_p95 <= INBOX_LIMIT * single),
        ),
    ]


def passed(result):
    return all(ok for *_rest, ok in targets(result))


def render(result):
    config, stats, checks = result["config"], result["stats"], result["checks"]
    think_min, think_max = config["think"]
    intro = INTRO.format(**config, think_min=think_min, think_max=think_max)
    lines = [HEADING, "", intro, "### Machine and run", ""]
    lines += _machine(result)
    lines += ["", "### Requests", ""]
    lines += [
        "| Endpoint | Requests | Errors | Req/s | Median ms | 95th ms | 99th ms |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for name, row in sorted(stats.items(), key=lambda item: (item[0] == "Aggregated", item[0])):
        label = "**All**" if name == "Aggregated" else name
        lines.append(
            f"| {label} | {row['requests']:,} | {row['failures']} | {row['rps']:.1f} | {_ms(row['median'])} | "
            f"{_ms(row['p95'])} | {_ms(row['p99'])} |"
        )
    lines += [
        "",
        f"The inbox for one point of contact alone, before the load: median {_ms(result['single_user_inbox_ms'])} ms.",
        "",
        *_rates(result),
        "",
        "### Checks",
        "",
    ]
    messages, files, transitions, notes = (
        checks["messages"],
        checks["files"],
        checks["transitions"],
        checks["notifications"],
    )
    lines += [
        f"- Messages acknowledged: {messages['acknowledged']}; lost {messages['lost']}, duplicated "
        f"{messages['duplicated']}.",
        f"- Files acknowledged: {files['acknowledged']}; lost {files['lost']}, duplicated {files['duplicated']}.",
        f"- Referrals raced by two people: {transitions['raced']}; not accepted {transitions['raced_not_accepted']}, "
        f"accepted twice {transitions['raced_accepted_twice']}; one-time steps found twice in a timeline: "
        f"{transitions['repeated']}.",
        f"- Outbox rows: {notes['outbox']}, unsent {notes['unsent_rows']}; e-mails written by the worker: "
        f"{notes['emails']}; lost {notes['lost']}, duplicated {notes['duplicated']} (the worker emptied the "
        f"outbox {result['drained_seconds']:.0f} s after the load).",
        "",
        "### Targets",
        "",
        "| Target | Measured | Limit | Result |",
        "|---|--:|--:|---|",
    ]
    for label, measured, limit, ok in targets(result):
        lines.append(f"| {label} | {measured} | {limit} | {'PASS' if ok else 'FAIL'} |")
    lines += ["", "Phases of this run (seconds):", "", "| Phase | s |", "|---|--:|"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in result["phases"].items()]
    return "\n".join(lines).rstrip() + "\n"


def write_section(path, section):
    """Put `section` in place of the file's "## Load test" section, or at its end."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    start = text.find(f"\n{HEADING}\n")
    if start == -1:
        before, after = text.rstrip("\n"), ""
    else:
        before = text[:start].rstrip("\n")
        following = text.find("\n## ", start + len(HEADING) + 2)
        after = "" if following == -1 else text[following:].rstrip("\n")
    joined = "\n\n".join(part for part in (before, section.rstrip("\n"), after.lstrip("\n")) if part)
    path.write_text(joined + "\n", encoding="utf-8")


def _ms(value):
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _rates(result):
    """What the users asked for, what was served, and how busy the CPU was meanwhile."""
    config, cpu = result["config"], result.get("cpu") or {}
    mean_think = sum(config["think"]) / 2
    offered = config["users"] / mean_think
    served = result["stats"].get("Aggregated", {}).get("rps", 0)
    lines = [
        f"Offered: {config['users']} users each starting a visit every {mean_think:g} s on average, "
        f"{offered:.1f} visits a second at most (a visit is one request, or two: a case page, then "
        f"what is posted to it); served: {served:.1f} requests a second."
    ]
    if cpu:
        lines.append(
            f"CPU during the load ({cpu['seconds']:.0f} s, {cpu['cores']} cores): the machine "
            f"{cpu['machine_busy']:.0%} busy, all of its work counted; the server's processes (gunicorn's "
            f"workers and the task worker, not PostgreSQL or locust) {cpu['server_cpu_seconds']:.0f} CPU "
            f"seconds, {cpu['server_busy']:.0%} of the cores."
        )
    return lines


def _machine(result):
    cpu, count = cpu_description()
    workers = os.environ.get("GUNICORN_WORKERS") or f"{(os.cpu_count() or 1) * 2 + 1} (2 × cores + 1)"
    return [
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {cpu}, {count} cores (shared with other work on the machine)",
        f"- gunicorn sync workers: {workers}; one task worker",
        f"- Load average (1, 5, 15 min) at the end: {', '.join(f'{value:.2f}' for value in os.getloadavg())}",
    ]
