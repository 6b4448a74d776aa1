"""A third-party adapter, installed for real, is found through the entry point and passes the kit."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PLUGIN = TESTS / "example_plugin"

# Runs in a fresh interpreter that sees the installed plugin (and this process does not).
PROBE = """
import inspect, json
from adapter_kit import case_problems, coverage_problems, run_case
from probes.registry import adapters

found = adapters()
cls = found["example_search"]
print(json.dumps({
    "names": sorted(found),
    "file": inspect.getfile(cls),
    "fixture_dir": str(cls.fixture_dir()),
    "coverage": coverage_problems(cls),
    "cases": {case.fixture + f"@{case.status}": case_problems(case, run_case(cls, case))
              for case in cls.cases},
}))
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example plugin pip-installed into a folder of its own (offline: no deps, no isolation)."""
    work = tmp_path_factory.mktemp("plugin")
    source = work / "src"  # pip builds in place: build from a copy, not from the repository
    shutil.copytree(PLUGIN, source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    target = work / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--no-index", "--target", str(target), str(source)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    return target


def _run(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    path = os.pathsep.join([str(site), str(REPO), str(TESTS)])
    env = {**os.environ, "PYTHONPATH": path, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=site, timeout=120
    )


def test_the_installed_plugin_is_registered_and_passes_its_cases(site: Path) -> None:
    result = _run(site, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "example_search" in report["names"] and "baidu" in report["names"]
    assert Path(report["file"]).is_relative_to(site)
    assert Path(report["fixture_dir"]).is_relative_to(site)  # fixtures shipped as package data
    assert report["coverage"] == []
    assert len(report["cases"]) == 5
    assert report["cases"] == {key: [] for key in report["cases"]}


def test_the_cli_lists_the_plugin(site: Path) -> None:
    code = "from runners.cli.adapters import list_adapters; list_adapters()"
    result = _run(site, "-c", code)
    assert result.returncode == 0, result.stderr
    assert "example_search" in result.stdout
    assert "search.example.org" in result.stdout


def test_without_the_plugin_it_is_not_registered() -> None:
    from probes.registry import adapters

    assert "example_search" not in adapters()
