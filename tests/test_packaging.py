"""The wheel ships the app with its data files and nothing else."""

import configparser
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
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
        names = archive.namelist()
        (metadata,) = [name for name in names if name.endswith(".dist-info/METADATA")]
        return names, archive.read(metadata).decode()


@pytest.fixture(scope="module")
def wheel_names(wheel):
    return wheel[0]


def test_wheel_contains_app_templates_and_migrations(wheel_names):
    assert "vse_referrals/permissions.py" in wheel_names
    assert "vse_referrals/migrations/0001_initial.py" in wheel_names
    assert "vse_referrals/templates/vse_referrals/modeladmin/organisation_inspect.html" in wheel_names
    assert any(name.startswith("vse_referrals/locale/") and name.endswith(".mo") for name in wheel_names)


def test_wheel_excludes_tests_and_example_site(wheel_names):
    top_level = {name.split("/")[0] for name in wheel_names}
    assert top_level == {"vse_referrals", *[n for n in top_level if n.endswith(".dist-info")]}


def test_wheel_ships_the_declared_licence(wheel):
    names, metadata = wheel
    setup = configparser.ConfigParser()
    setup.read(ROOT / "setup.cfg")
    assert setup["metadata"]["license"] == "BSD-3-Clause"
    assert (ROOT / "LICENSE").read_text().startswith("BSD 3-Clause License")
    assert any(name.endswith(".dist-info/licenses/LICENSE") or name.endswith(".dist-info/LICENSE") for name in names)
    assert "License-File: LICENSE" in metadata


def test_version_is_defined_once(wheel):
    import vse_referrals

    _names, metadata = wheel
    assert re.search(r"^Version: (.+)$", metadata, re.MULTILINE).group(1) == vse_referrals.__version__
    # setup.cfg reads it from the package; no other file of the package states it.
    assert re.search(r"^version = attr: vse_referrals.__version__$", (ROOT / "setup.cfg").read_text(), re.MULTILINE)
    stated = [
        path
        for path in (ROOT / "vse_referrals").rglob("*.py")
        if re.search(r"^__version__\s*=", path.read_text(encoding="utf-8"), re.MULTILINE)
    ]
    assert stated == [ROOT / "vse_referrals" / "__init__.py"]


def test_changelog_names_the_current_version_first():
    import vse_referrals

    headings = re.findall(r"^## (\d[\w.]*)", (ROOT / "CHANGELOG.md").read_text(), re.MULTILINE)
    assert headings and headings[0] == vse_referrals.__version__
