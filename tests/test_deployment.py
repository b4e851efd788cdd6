"""The checked-in processes: gunicorn's configuration and the load test's report and counts."""

import runpy
from pathlib import Path

import pytest

from loadtest import checks, report

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def gunicorn_config(monkeypatch):
    for name in ("GUNICORN_BIND", "GUNICORN_ACCESS_LOG", "GUNICORN_WORKERS", "DJANGO_SETTINGS_MODULE"):
        monkeypatch.delenv(name, raising=False)
    return runpy.run_path(str(ROOT / "example_site" / "gunicorn.conf.py"))


def test_gunicorn_listens_on_the_loopback_only(gunicorn_config):
    assert gunicorn_config["bind"] == ["127.0.0.1:8000"]
    assert gunicorn_config["wsgi_app"] == "example_site.wsgi:application"
    assert gunicorn_config["raw_env"] == ["DJANGO_SETTINGS_MODULE=example_site.settings.production"]


def test_gunicorn_logs_paths_without_query_strings_or_referrers(gunicorn_config):
    log_format = gunicorn_config["access_log_format"]
    assert "%(U)s" in log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%(a)s"):  # request line, query, referrer, user agent
        assert atom not in log_format


def test_gunicorn_replaces_workers_gradually(gunicorn_config):
    assert gunicorn_config["max_requests"] > 0 and gunicorn_config["max_requests_jitter"] > 0
    assert gunicorn_config["workers"] >= 1


def test_acknowledged_tokens_are_counted_lost_and_duplicated():
    counted = checks._once(["a1", "b2", "c3"], ["<p>Load test a1</p>", "<p>a1 again</p>", "<p>b2</p>"])
    assert counted == {"acknowledged": 3, "lost": 1, "duplicated": 1}


def _result(inbox_p95=400.0, failures=0, lost=0):
    stats = {
        "inbox": {"requests": 10, "failures": 0, "median": 200.0, "p95": inbox_p95, "p99": 500.0, "rps": 1.0},
        "Aggregated": {"requests": 10, "failures": failures, "median": 200.0, "p95": 400.0, "p99": 500.0, "rps": 1.0},
    }
    tokens = {"acknowledged": 3, "lost": lost, "duplicated": 0}
    return {
        "config": {"users": 50, "seconds": 60, "referrals": 100000, "members": 500, "think": [5.0, 15.0]},
        "single_user_inbox_ms": 100.0,
        "stats": stats,
        "cpu": {"seconds": 60.0, "cores": 2, "machine_busy": 0.5, "server_cpu_seconds": 30.0, "server_busy": 0.25},
        "checks": {
            "messages": tokens,
            "files": {"acknowledged": 1, "lost": 0, "duplicated": 0},
            "transitions": {"raced": 2, "repeated": 0, "raced_not_accepted": 0, "raced_accepted_twice": 0},
            "notifications": {"outbox": 4, "unsent_rows": 0, "emails": 4, "lost": 0, "duplicated": 0},
        },
        "drained_seconds": 1.0,
        "phases": {"total": 1.0},
    }


@pytest.mark.parametrize(
    "changes, passes",
    [({}, True), ({"inbox_p95": 501.0}, False), ({"failures": 1}, False), ({"lost": 1}, False)],
)
def test_load_test_targets(changes, passes):
    result = _result(**changes)
    assert report.passed(result) is passes
    assert ("FAIL" in report.render(result)) is not passes


def test_load_test_report_gives_the_offered_and_served_rates_and_the_cpu_use():
    text = report.render(_result())
    assert "5-15 s" in text
    assert "Offered: 50 users each starting a visit every 10 s on average, 5.0 visits a second" in text
    assert "served: 1.0 requests a second" in text
    assert "the machine 50% busy" in text and "30 CPU seconds, 25% of the cores" in text


def test_load_test_section_replaces_only_its_own(tmp_path):
    path = tmp_path / "benchmarks.md"
    path.write_text("# Benchmarks\n\nBench table\n\n## Load test\n\nold run\n\n## Later\n\nkept\n")
    report.write_section(path, "## Load test\n\nnew run\n")
    assert path.read_text() == "# Benchmarks\n\nBench table\n\n## Load test\n\nnew run\n\n## Later\n\nkept\n"
    path.write_text("# Benchmarks\n\nBench table\n")
    report.write_section(path, "## Load test\n\nnew run\n")
    assert path.read_text() == "# Benchmarks\n\nBench table\n\n## Load test\n\nnew run\n"
