"""The layers contract (pyproject.toml, checked by lint-imports in `make test`):
network_portal < members < meetings | training | resources.

Each broken case copies the tree, adds one forbidden import and shows that
the contract catches it, so the check cannot pass by checking nothing."""

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from network_portal.registry import PLUGIN_MODULES

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ["network_portal", "members", "meetings", "training", "resources"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
_FEATURE_APPS = "|".join(name for name in PACKAGES if name != "network_portal")
# A dotted path or model label ("training.services", "resources.Download"), or an app in a list.
NAMES_AN_APP = re.compile(rf"\b({_FEATURE_APPS})\.\w|\"({_FEATURE_APPS})\",")


def _copy_tree(target: Path) -> Path:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__", "static"))
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    return target


def _lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-logo", "--no-cache"],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _add_line(path: Path, line: str) -> None:
    path.write_text(f"{path.read_text()}\n{line}\n")


def test_the_real_tree_keeps_the_layers_contract():
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "forbidden", "reported"),
    [
        # The ground floor reaching up into a feature app (what retention.py used to do).
        ("network_portal/retention.py", "import training.services", "network_portal.retention -> training.services"),
        ("network_portal/privacy.py", "from members import privacy", "network_portal.privacy -> members.privacy"),
        # members reaching up into an app that stands on it (what Topic used to cause).
        ("members/forms.py", "from resources.models import Resource", "members.forms -> resources.models"),
        # Sibling feature apps stay independent of each other.
        ("training/calendar.py", "import meetings.calendar", "training.calendar -> meetings.calendar"),
    ],
)
def test_an_upward_or_sideways_import_breaks_the_contract(tmp_path, module, forbidden, reported):
    tree = _copy_tree(tmp_path)
    assert _lint_imports(tree).returncode == 0  # the copy alone is fine
    _add_line(tree / module, forbidden)

    result = _lint_imports(tree)

    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert reported in result.stdout


def test_the_ground_floor_names_no_feature_app_in_its_code():
    """Registries are filled by discovery, so network_portal's code needs no app's
    name: no dotted path or model label, no list of apps. settings.py and urls.py
    are the exception, since wiring the apps in is their job."""
    offenders = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in sorted((ROOT / "network_portal").rglob("*.py"))
        if path.name not in {"settings.py", "urls.py"} and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if NAMES_AN_APP.search(line)
    ]
    assert offenders == []


def test_discovery_imports_every_plugin_module_of_every_app():
    expected = {
        f"{package}.{name}"
        for package in PACKAGES
        for name in PLUGIN_MODULES
        if (ROOT / package / f"{name}.py").exists()
    }
    assert {"members.privacy", "meetings.calendar", "training.schedules", "resources.attention"} <= expected
    assert expected <= set(sys.modules)


def test_the_naming_check_catches_an_app_named_in_the_ground_floor():
    assert NAMES_AN_APP.search('GUARDED_APPS = ("members", "meetings")')
    assert NAMES_AN_APP.search('model="resources.Download"')
    assert not NAMES_AN_APP.search('return [key_for(base, audience) for audience in ("public", "members")]')
