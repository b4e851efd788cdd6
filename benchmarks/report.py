"""The report of `make bench`: one table, the targets with PASS/FAIL, the query plans, the machine."""

import os
import time

# `make loadtest` writes its own section of the same file (loadtest/report.py): a bench run keeps it.
LOAD_TEST_HEADING = "## Load test"


def keeping_load_test(text, previous):
    """`text`, followed by the load test's section of the file's `previous` text, if it had one."""
    start = previous.find(f"\n{LOAD_TEST_HEADING}\n")
    if start == -1:
        return text
    end = previous.find("\n## ", start + len(LOAD_TEST_HEADING) + 2)
    section = previous[start : None if end == -1 else end].strip("\n")
    return text.rstrip("\n") + "\n\n" + section + "\n"


ROWS = [
    # key, label, who can be measured (ordinary + busy, or one column only)
    ("dashboard", "Dashboard (with the inbox panel)", "members"),
    ("dashboard-no-panel", "Dashboard without the panel", "members"),
    ("tab-action", "Inbox: needs action", "members"),
    ("tab-incoming", "Inbox: incoming", "members"),
    ("tab-outgoing", "Inbox: outgoing", "members"),
    ("tab-drafts", "Inbox: drafts", "members"),
    ("tab-closed", "Inbox: closed", "members"),
    ("case", "Case page (50 messages)", "members"),
    ("form", "Referral form", "members"),
    ("cases_for_user", "`cases_for_user`: first page + count", "members"),
    ("guardian", "Per-case guardian alternative: first page + count", "members"),
    ("overview", "VSE referral overview (office)", "office"),
    ("statistics", "Referral statistics, this year (network administrator)", "office"),
    ("statistics-member", "Referral statistics, this year (ordinary member)", "office"),
    ("directory", "Directory page", "public"),
    ("hsds", "HSDS services list (`api/services/`)", "public"),
    ("map", "Map data (`api/map/`)", "public"),
]
# The pages of a point of contact whose cost must not follow the size of the network.
MEMBER_PAGES = ["dashboard", "tab-action", "tab-incoming", "tab-outgoing", "tab-drafts", "tab-closed", "case", "form"]
GROWTH_LIMIT = 1.3
GUARDIAN_SPEEDUP = 10
PANEL_LIMIT = 0.25
DIRECTORY_LIMIT = 2.0
HSDS_LIMIT = 1.5
# The statistics count every referral of the period: their queries are fixed, their rows grow.
STATISTICS_LIMIT = 2.0
MEMORY_LIMIT = 1.5
MEMORY_COMMANDS = [
    ("send_referral_reminders", "Reminders (`send_referral_reminders`)"),
    ("purge_referral_data", "Purge (`purge_referral_data`)"),
    ("rotate_referral_keys", "Key rotation (`rotate_referral_keys`)"),
]

INTRO = """\
# Benchmarks

Written by `make bench` (`benchmarks/run.py`; not part of `make test`). It builds a synthetic
network on PostgreSQL when a server answers at `postgres://postgres@127.0.0.1:5432` (in databases
of its own, dropped afterwards), otherwise on SQLite: 60 organisations and 1,000 referrals spread
over every status and the years 2022-2026 (sent, answered and closed times, deadlines, some
overdue), and a directory of 22 member profiles with their services. It copies that database
and grows the copy to 100,000 referrals and 500 profiles. Then it measures both sizes side by
side, each page at one size then at the other, round after round, so that load from elsewhere
on the machine falls on both alike: the median server time of {repeats} requests through
Django's test client (after 2 warm-up rounds) and the SQL queries of one request. Whatever the
requests write is rolled back.

- **Ordinary member**: a point of contact party to the same 40 referrals at both sizes (4 in
  each status); what grows is the rest of the network.
- **Busy member**: party to 2 % of all referrals at both sizes (20, then 2,000).
- **Per-case guardian alternative**: built inside the benchmark only, on the same data: each
  case's two organisation groups hold a django-guardian object permission on it (generic
  `GroupObjectPermission` rows), listed with `get_objects_for_user(..., with_superuser=False,
  accept_global_perms=False)`; measured like `cases_for_user`: the first page of 25 (newest
  first, metadata columns only, as listings load them) and the count.
- **Dashboard without the panel**: the same dashboard with the inbox panel left out by a last
  `construct_homepage_panels` hook.

The machine is shared and small: absolute times are noisy, the ratios within one run are what
the targets are about. The run exits 0 whatever the results: it is a report.
"""


def render(result, phases):
    small, large = result["measured"][0], result["measured"][-1]
    repeats = large["probes"]["ordinary", "dashboard"]["samples"]
    lines = [INTRO.format(repeats=repeats)]
    lines += _machine(result, small, large)
    lines += _table(small, large)
    lines += _targets(result, small, large)
    lines += _memory(result)
    lines += _plans(large)
    lines += _profiles(large)
    lines += _network(result, phases)
    return "\n".join(lines).rstrip() + "\n"


def _ms(value):
    if value is None:
        return "–"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


def _ratio(a, b):
    if a is None or b is None or not b:
        return None
    return a / b


def _times(value):
    return "–" if value is None else f"{value:.2f}×"


def cpu_description():
    """(the CPU's model name, how many cores), as this machine says (the load test's report too)."""
    cpu, count = "unknown", os.cpu_count()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            names = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
        cpu, count = (names[0], len(names)) if names else (cpu, count)
    except OSError:
        pass
    return cpu, count


def _machine(result, small, large):
    cpu, count = cpu_description()
    memory = "unknown"
    try:
        with open("/proc/meminfo") as meminfo:
            kilobytes = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        memory = f"{kilobytes / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
        pass
    versions = ", ".join(f"{name} {version}" for name, version in result["versions"].items() if name != "database")
    return [
        "## Machine and run",
        "",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
        f"- CPU: {cpu}, {count} cores; RAM {memory}",
        f"- Database: {result['versions']['database']}",
        f"- {versions}",
        f"- Load average (1 min) at the start and the end of the measurements: {large['load'][0]:.2f}, "
        f"{large['load'][1]:.2f}",
        "",
    ]


def _cell(measured, who, key):
    probe = measured["probes"].get((who, key))
    if probe is None:
        return None, "", ""
    if probe["error"]:
        return None, "error", ""
    return probe["median_ms"], _ms(probe["median_ms"]), str(probe["queries"])


def _table(small, large):
    s, b = f"{small['size']:,}", f"{large['size']:,}"
    lines = [
        "## Results",
        "",
        f"Median server time in ms and SQL queries per request; × is the time at {b} over the time at {s}. "
        f"Directory rows: {small['members']} members, then {large['members']}.",
        "",
        f"| Page | ordinary {s} ms | q | ordinary {b} ms | q | × | busy {s} ms | q | busy {b} ms | q | × |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    errors = []
    for key, label, kind in ROWS:
        columns = {"members": ("ordinary", "busy"), "office": ("office",), "public": ("public",)}[kind]
        cells = []
        for who in columns:
            small_ms, small_text, small_q = _cell(small, who, key)
            large_ms, large_text, large_q = _cell(large, who, key)
            cells += [small_text, small_q, large_text, large_q, _times(_ratio(large_ms, small_ms))]
            for measured in (small, large):
                probe = measured["probes"].get((who, key))
                if probe and probe["error"]:
                    errors.append(f"- {label} ({who}, {measured['size']:,}): {probe['error']}")
        cells += [""] * (10 - len(cells))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append("")
    shown = []
    for key in [key for key in MEMBER_PAGES if key.startswith("tab-")]:
        counts = [
            str(measured["probes"][who, key].get("rows") or 0)
            for who in ("ordinary", "busy")
            for measured in (small, large)
        ]
        shown.append(f"{key[4:]} {'/'.join(counts[:2])} and {'/'.join(counts[2:])}")
    lines += [
        f"Cases listed by each inbox tab (ordinary member at {s}/{b}, and busy member at {s}/{b}): "
        + "; ".join(shown)
        + ".",
        "",
    ]
    if errors:
        lines += ["Errors:", "", *errors, ""]
    return lines


def _median(measured, who, key):
    probe = measured["probes"].get((who, key))
    return None if probe is None or probe["error"] else probe["median_ms"]


def _targets(result, small, large):
    rows = []

    def check(name, value, limit, passed, shown):
        rows.append((name, shown(value) if value is not None else "not measured", limit, passed))

    for who, title, keys in (
        ("ordinary", "ordinary member", [*MEMBER_PAGES, "cases_for_user"]),
        ("busy", "busy member (2 % of all)", MEMBER_PAGES),
    ):
        for key in keys:
            label = next(row[1] for row in ROWS if row[0] == key)
            ratio = _ratio(_median(large, who, key), _median(small, who, key))
            check(f"{label}, {title}: {large['size']:,} vs {small['size']:,}", ratio, f"≤ {GROWTH_LIMIT}×",
                  ratio is not None and ratio <= GROWTH_LIMIT, _times)  # fmt: skip
    for who in ("ordinary", "busy"):
        speedup = _ratio(_median(large, who, "guardian"), _median(large, who, "cases_for_user"))
        check(f"`cases_for_user` vs per-case guardian at {large['size']:,}, {who} member", speedup,
              f"≥ {GUARDIAN_SPEEDUP}× faster", speedup is not None and speedup >= GUARDIAN_SPEEDUP,
              lambda value: f"{value:.1f}× faster")  # fmt: skip
    for measured in (small, large):
        for who in ("ordinary", "busy"):
            ratio = _ratio(_median(measured, who, "dashboard"), _median(measured, who, "dashboard-no-panel"))
            added = None if ratio is None else ratio - 1
            check(f"Inbox panel's share of the dashboard, {who} member, {measured['size']:,}", added,
                  f"≤ +{PANEL_LIMIT:.0%}", added is not None and added <= PANEL_LIMIT,
                  lambda value: f"{value:+.0%}")  # fmt: skip
    for key, limit in (("directory", DIRECTORY_LIMIT), ("hsds", HSDS_LIMIT)):
        label = next(row[1] for row in ROWS if row[0] == key)
        ratio = _ratio(_median(large, "public", key), _median(small, "public", key))
        check(f"{label}: {large['members']} vs {small['members']} members", ratio, f"≤ {limit}×",
              ratio is not None and ratio <= limit, _times)  # fmt: skip
    for key in ("statistics", "statistics-member"):
        label = next(row[1] for row in ROWS if row[0] == key)
        ratio = _ratio(_median(large, "office", key), _median(small, "office", key))
        check(f"{label}: {large['size']:,} vs {small['size']:,}", ratio, f"≤ {STATISTICS_LIMIT}×",
              ratio is not None and ratio <= STATISTICS_LIMIT, _times)  # fmt: skip
    for _command, label, smaller, larger, ratio in _memory_rows(result):
        check(f"{label}: peak memory at {larger['size']:,} vs {smaller['size']:,} referrals", ratio,
              f"≤ {MEMORY_LIMIT}×", ratio is not None and ratio <= MEMORY_LIMIT, _times)  # fmt: skip
    explain = large.get("explain")
    if explain is None:
        rows.append(("No sequential scan of the case table (EXPLAIN)", "needs PostgreSQL", "none", None))
    else:
        scanned = [entry["listing"] for entry in explain if any(query["seq"] for query in entry["queries"])]
        rows.append(
            (
                f"No sequential scan of the case table at {large['size']:,} (EXPLAIN)",
                f"{len(scanned)} of {len(explain)} listings scan it" + (f": {', '.join(scanned)}" if scanned else ""),
                "none",
                not scanned,
            )
        )
    missed = [row for row in rows if row[3] is False]
    lines = [
        "## Targets",
        "",
        f"{len(rows) - len(missed)} of {len(rows)} met"
        + (f"; **missed: {len(missed)}**" if missed else "")
        + ". The busy member's tabs list up to 25 cases at the larger size but only their few at the smaller "
        "(see under the results table), so their ratios include drawing more rows.",
        "",
        "| Target | Measured | Limit | Result |",
        "|---|--:|--:|---|",
    ]
    for name, shown, limit, passed in rows:
        verdict = {True: "PASS", False: "**FAIL**", None: "not checked"}[passed]
        lines.append(f"| {name} | {shown} | {limit} | {verdict} |")
    lines.append("")
    return lines


def _memory_rows(result):
    """(command, label, smaller run, larger run, ratio of their peaks or None) of each cron command."""
    runs = result.get("memory") or []
    if len(runs) < 2:
        return []
    smaller, larger = runs[0], runs[-1]
    rows = []
    for command, label in MEMORY_COMMANDS:
        low, high = smaller["commands"].get(command), larger["commands"].get(command)
        measured = low and high and not low["error"] and not high["error"]
        ratio = _ratio(high["peak"], low["peak"]) if measured else None
        rows.append((command, label, {**smaller, **(low or {})}, {**larger, **(high or {})}, ratio))
    return rows


def _mib(value):
    return f"{value / 1024 / 1024:.2f}"


def _memory(result):
    rows = _memory_rows(result)
    if not rows:
        return []
    smaller, larger = rows[0][2]["size"], rows[0][3]["size"]
    lines = [
        "## Peak memory of the cron commands",
        "",
        f"Each command once through `call_command` in the benchmark's process at {smaller:,} referrals (the "
        f"larger database on its way to {larger:,}) and at {larger:,}, under `tracemalloc`: the most Python "
        "memory it held at once (MiB), and its time under tracemalloc (s). It runs as cron runs it, "
        "committing each of its own transactions, on a throwaway copy of the network made for it "
        "(`benchmarks.memory`: inside one rolled-back transaction, every `on_commit` callback of the run "
        "would wait for the end and count against the larger size). "
        "Reminders: the first run on a network without alerts (every clock due). Purge: "
        "1 % of the referrals made due. Key rotation: every encrypted value, to a new key put first "
        "(the synthetic network has no attachment files). A command's peak grows with its batches until "
        "they are full (`vse_referrals.batches.DEFAULT_SIZE` rows; the key rotation's own 500) and then "
        "stays flat.",
        "",
        f"| Command | {smaller:,} MiB | s | {larger:,} MiB | s | × |",
        "|---|--:|--:|--:|--:|--:|",
    ]
    errors = []
    for _command, label, low, high, ratio in rows:
        cells = []
        for run in (low, high):
            if run.get("error"):
                cells += ["error", ""]
                errors.append(f"- {label} at {run['size']:,}: {run['error']}")
            elif "peak" in run:
                cells += [_mib(run["peak"]), f"{run['seconds']:.1f}"]
            else:
                cells += ["–", ""]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {_times(ratio)} |")
    lines.append("")
    if errors:
        lines += ["Errors:", "", *errors, ""]
    return lines


def _plans(large):
    explain = large.get("explain")
    if explain is None:
        return [
            "## Query plans",
            "",
            "EXPLAIN is checked on PostgreSQL only; this run used SQLite.",
            "",
        ]
    lines = [
        f"## Query plans at {large['size']:,} referrals",
        "",
        "Each listing's SELECTs on the referral table (as the requests ran them, found with "
        "`execute_wrapper`), run through `EXPLAIN`. The menu count is what every admin page of a "
        "point of contact runs; a tab is its page minus that; the panel is the dashboard minus the "
        "dashboard without it; the reminders are one run of the cron job, rolled back.",
        "",
        "| Listing | SELECTs | With `Seq Scan on` the case table | Where (first vse_referrals frame) |",
        "|---|--:|--:|---|",
    ]
    for entry in explain:
        queries = entry["queries"]
        scanned = [query for query in queries if query["seq"]]
        where = "; ".join(sorted({query["origin"] for query in (scanned or queries)})) or "–"
        verdict = f"**{len(scanned)}**" if scanned else "0"
        lines.append(f"| {entry['listing']} | {len(queries)} | {verdict} | {where} |")
    lines.append("")
    statistics = large.get("statistics_plan")
    if statistics:
        lines += [
            f"The referral statistics' slowest query at {large['size']:,} referrals ({statistics['ms']:.1f} ms, "
            f"{statistics['origin']}) and its plan:",
            "",
            "```",
            statistics["sql"][:600],
            "",
            *statistics["plan"],
            "```",
            "",
        ]
    reminders = large.get("reminders", {})
    if reminders.get("error"):
        lines += [f"Reminders: {reminders['error']}", ""]
    elif "seconds" in reminders:
        lines += [
            f"One reminders run at {large['size']:,} referrals took {reminders['seconds']:.1f} s and "
            f"{reminders['query_count']} queries (rolled back).",
            "",
        ]
    return lines


def _profiles(large):
    profiles = large.get("profiles")
    if not profiles:
        return []
    lines = [
        f"## Where the time goes at {large['size']:,} referrals / {large['members']} members",
        "",
        "One request each under cProfile (which slows Python down: compare the shares, not the totals).",
        "",
    ]
    for name, profile in profiles.items():
        lines += [
            f"**{name}**: {profile['total_ms']:.0f} ms, {profile['query_count']} queries taking "
            f"{profile['query_ms']:.0f} ms.",
            "",
            "Slowest queries:",
            "",
        ]
        for query in profile["slowest"]:
            lines.append(f"- {query['ms']:.1f} ms, {query['origin']}: `{query['sql'][:110]}…`")
        lines += ["", "vse_referrals functions, time including what they call:", ""]
        for function in profile["app"]:
            lines.append(f"- {function['ms']:.1f} ms: `{function['function']}`")
        lines += ["", "Most time of its own (Python):", ""]
        for function in profile["functions"]:
            lines.append(f"- {function['ms']:.1f} ms in {function['calls']} calls: `{function['function']}`")
        lines.append("")
    return lines


def _network(result, phases):
    lines = ["## The synthetic network", ""]
    for measured in result["measured"]:
        statuses = ", ".join(f"{status} {count:,}" for status, count in sorted(measured["statuses"].items()))
        visible = measured["visible"]
        lines.append(
            f"- {measured['size']:,} referrals, {measured['members']} members. Statuses: {statuses}. "
            f"Ordinary member party to {measured['caseloads']['ordinary']:,}, busy member to "
            f"{measured['caseloads']['busy']:,}. Cases visible through `cases_for_user` / the guardian "
            f"alternative: ordinary {visible['ordinary']['cases_for_user']:,} / {visible['ordinary']['guardian']:,}, "
            f"busy {visible['busy']['cases_for_user']:,} / {visible['busy']['guardian']:,}."
        )
    lines += ["", "Phases of this run (seconds):", "", "| Phase | s |", "|---|--:|"]
    for name, seconds in phases.items():
        lines.append(f"| {name} | {seconds:.1f} |")
    lines.append("")
    return lines
