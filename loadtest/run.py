"""`make loadtest`: the example site under 50 simulated users, as production runs it.

    python -m loadtest.run          # from the repository root; appends to docs/benchmarks.md

1. A PostgreSQL database of its own (`benchmarks.database`), the benchmark's synthetic network
   at 100,000 referrals (`benchmarks.network`), and the run's users and cases (`loadtest.plan`).
2. gunicorn (`example_site/gunicorn.conf.py`) and the task worker (django-tasks-db's
   `db_worker`) on 127.0.0.1, with `loadtest.settings`.
3. The worker sends the e-mails of the set-up's referrals (step 1), so that it does not do so
   during the measurements; then one point of contact alone: the inbox's median, the reference
   for the target under load.
4. locust, headless: LOADTEST_USERS (50) users for LOADTEST_SECONDS (60) seconds, each waiting
   THINK seconds between two visits; the machine's CPU use and the server's are measured meanwhile.
5. The worker is given time to empty the outbox; then the processes stop and `loadtest.checks`
   counts what was stored and sent. The report (`loadtest.report`) is printed and replaces the
   "## Load test" section of docs/benchmarks.md (LOADTEST_OUTPUT).

Environment: BENCH_POSTGRES (server, default postgres://postgres@127.0.0.1:5432),
LOADTEST_USERS, LOADTEST_SECONDS, LOADTEST_THINK ("5,15": the seconds each user waits between
two visits, see THINK), LOADTEST_REFERRALS (100000), LOADTEST_MEMBERS (500),
LOADTEST_PORT (8765), LOADTEST_KEEP=1 (keep the database and the run's folder).
Exits 1 when a target is missed.
"""

import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SINGLE_USER_REQUESTS = 20
# Seconds a simulated person waits between two visits: the time to read what the last one showed.
# A point of contact reads a case page, scans the inbox or writes a message, a visitor reads a
# page of the directory or looks at the map, for several seconds up to a quarter of a minute
# before the next click: 5-15 s, 10 s on average, is a busy person. The first runs waited 1-3 s:
# 50 people each clicking every 2 s for the whole minute (25 requests a second), more than the
# two cores shared by the server, its database, the task worker and locust itself could serve.
THINK = "5,15"


def main():
    from benchmarks import database

    from . import cpu

    started = time.perf_counter()
    config = {
        "users": int(os.environ.get("LOADTEST_USERS", "50")),
        "seconds": int(os.environ.get("LOADTEST_SECONDS", "60")),
        "referrals": int(os.environ.get("LOADTEST_REFERRALS", "100000")),
        "members": int(os.environ.get("LOADTEST_MEMBERS", "500")),
        "port": int(os.environ.get("LOADTEST_PORT", "8765")),
        "think": [float(value) for value in os.environ.get("LOADTEST_THINK", THINK).split(",")],
    }
    base_url = f"http://127.0.0.1:{config['port']}"
    clone = hashlib.sha1(str(ROOT).encode()).hexdigest()[:8]
    os.environ.setdefault("BENCH_DATABASE_NAME", f"vse_loadtest_{clone}")
    databases = database.create()
    if databases.vendor != "postgresql":
        databases.drop()
        raise SystemExit("The load test needs PostgreSQL (BENCH_POSTGRES): several processes share one database.")
    folder = Path(tempfile.mkdtemp(prefix="vse-loadtest-"))
    environment = _environment(databases.urls[database.SMALL], folder, base_url, config)
    os.environ.update(environment)
    sys.path[:0] = [str(ROOT), str(ROOT / "example_site")]
    processes = []
    try:
        plan, phases = _build(config, folder)
        processes = _serve(environment, folder, config["port"])
        _wait_for(base_url)
        _say("waiting for the worker to send the set-up's e-mails...")
        phases["the worker sends the set-up's e-mails"] = _drain()
        single = _single_user_inbox(base_url, plan)
        _say(f"inbox alone: median {single:.0f} ms; now {config['users']} users for {config['seconds']} s")
        with cpu.Meter(processes) as cpu_used:
            stats = _locust(environment, folder, base_url, config)
        _say("waiting for the worker to empty the outbox...")
        drained = _drain()
        _stop(processes)
        from . import checks

        record = json.loads((folder / "record.json").read_text())
        checked = checks.run(plan, record, folder / "mail")
    finally:
        _stop(processes)
        from django.db import connections

        connections.close_all()
        if not os.environ.get("LOADTEST_KEEP"):
            databases.drop()
            shutil.rmtree(folder, ignore_errors=True)
        else:
            _say(f"kept: database {databases.names[database.SMALL]}, folder {folder}")
    from . import report

    phases["total"] = time.perf_counter() - started
    result = {
        "config": config,
        "single_user_inbox_ms": single,
        "stats": stats,
        "cpu": cpu_used.result,
        "checks": checked,
        "drained_seconds": drained,
        "phases": phases,
        "record": {name: len(entries) for name, entries in record.items()},
    }
    text = report.render(result)
    print(text)
    output = Path(os.environ.get("LOADTEST_OUTPUT", ROOT / "docs" / "benchmarks.md"))
    report.write_section(output, text)
    print(f"Written to {output}")
    sys.exit(0 if report.passed(result) else 1)


def _environment(database_url, folder, base_url, config):
    from cryptography.fernet import Fernet

    (folder / "mail").mkdir()
    (folder / "attachments").mkdir()
    return {
        "DJANGO_SETTINGS_MODULE": "loadtest.settings",
        "VSE_LOADTEST_DATABASE_URL": database_url,
        "VSE_LOADTEST_SECRET_KEY": Fernet.generate_key().decode(),
        "VSE_LOADTEST_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "VSE_LOADTEST_MAIL_DIR": str(folder / "mail"),
        "VSE_LOADTEST_ATTACHMENT_ROOT": str(folder / "attachments"),
        "VSE_LOADTEST_BASE_URL": base_url,
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example_site")]),
        "LOADTEST_PLAN": str(folder / "plan.json"),
        "LOADTEST_RECORD": str(folder / "record.json"),
        "LOADTEST_THINK": ",".join(f"{value:g}" for value in config["think"]),
    }


def _build(config, folder):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connections

    from benchmarks import network

    from . import plan

    phases = {}

    def phase(name, function, *args):
        _say(f"{name}...")
        start = time.perf_counter()
        value = function(*args)
        phases[name] = time.perf_counter() - start
        return value

    phase("migrate", call_command, "migrate", "--no-input", "--verbosity", "0")
    net = network.Network()
    phase("build organisations and points of contact", net.build_members)
    phase(f"build {config['referrals']:,} referrals", net.build_cases, config["referrals"])
    phase(f"build the directory of {config['members']} members", net.build_directory, config["members"])
    built = phase("the run's deputies and cases (through the workflow)", plan.build, net)
    phase("vacuum analyze", network.vacuum_analyze)
    (folder / "plan.json").write_text(json.dumps(built))
    connections.close_all()
    return built, phases


def _serve(environment, folder, port):
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, **environment, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_ACCESS_LOG": ""}
    gunicorn = subprocess.Popen(
        [str(bin_dir / "gunicorn"), "--config", str(ROOT / "example_site" / "gunicorn.conf.py")],
        cwd=ROOT / "example_site",
        env=env,
        stdout=open(folder / "gunicorn.log", "w"),
        stderr=subprocess.STDOUT,
    )
    worker = subprocess.Popen(
        [sys.executable, "manage.py", "db_worker", "--interval", "0.5", "--no-startup-delay"],
        cwd=ROOT / "example_site",
        env=env,
        stdout=open(folder / "worker.log", "w"),
        stderr=subprocess.STDOUT,
    )
    return [gunicorn, worker]


def _wait_for(base_url, timeout=120):
    """Until every gunicorn worker has answered once (each loads Django on its first request)."""
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            for _ in range(10):
                requests.get(f"{base_url}/admin/login/", timeout=60)
            return
        except requests.RequestException:
            time.sleep(0.5)
    raise SystemExit(f"gunicorn did not answer at {base_url} within {timeout} s")


def _single_user_inbox(base_url, plan):
    """The inbox's median time for one point of contact alone (after warming up)."""
    import requests

    session = requests.Session()
    session.get(f"{base_url}/admin/login/")
    username = plan["pairs"][0]["users"][0]
    session.post(
        f"{base_url}/admin/login/",
        {"username": username, "password": plan["password"], "csrfmiddlewaretoken": session.cookies["csrftoken"]},
    )
    times = []
    for attempt in range(SINGLE_USER_REQUESTS + 3):
        start = time.perf_counter()
        response = session.get(f"{base_url}/admin/referrals/", allow_redirects=False)
        if response.status_code != 200:
            raise SystemExit(f"The inbox answered {response.status_code} to {username} alone: is the sign-in refused?")
        if attempt >= 3:
            times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _locust(environment, folder, base_url, config):
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [
            str(bin_dir / "locust"),
            "--locustfile",
            str(ROOT / "loadtest" / "locustfile.py"),
            "--headless",
            "--host",
            base_url,
            "--users",
            str(config["users"]),
            "--spawn-rate",
            "10",
            "--run-time",
            f"{config['seconds']}s",
            "--stop-timeout",
            "30",
            "--csv",
            str(folder / "locust"),
            "--only-summary",
            "--loglevel",
            "WARNING",
        ],
        env={**os.environ, **environment},
        check=False,
    )
    from . import report

    return report.read_locust_csv(folder / "locust_stats.csv")


def _drain(timeout=300):
    """Seconds until every outbox row is sent (the worker's work after the load)."""
    from django.db import connections

    from vse_referrals.models import Notification

    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if not Notification.objects.filter(sent_at__isnull=True).exists():
            break
        time.sleep(1)
    connections.close_all()
    return time.monotonic() - start


def _stop(processes):
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
    processes.clear()


def _say(message):
    print(f"[loadtest {time.strftime('%H:%M:%S')}] {message}", flush=True)


if __name__ == "__main__":
    main()
