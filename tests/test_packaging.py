"""The wheel ships the app with its data files and nothing else."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel_names(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("vse_referrals-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        return archive.namelist()


def test_wheel_contains_app_templates_and_migrations(wheel_names):
    assert "vse_referrals/permissions.py" in wheel_names
    assert "vse_referrals/migrations/0001_initial.py" in wheel_names
    assert "vse_referrals/templates/vse_referrals/modeladmin/organisation_inspect.html" in wheel_names
    assert any(name.startswith("vse_referrals/locale/") and name.endswith(".mo") for name in wheel_names)


def test_wheel_excludes_tests_and_example_site(wheel_names):
    top_level = {name.split("/")[0] for name in wheel_names}
    assert top_level == {"vse_referrals", *[n for n in top_level if n.endswith(".dist-info")]}
