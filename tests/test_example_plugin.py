"""A third-party adapter, installed for real, is found through the entry point and runs the
contract kit the way its package would: ``pytest --censorprobe-adapter censorprobe_example``."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from probes.kit.target import TargetError, adapters_named
from probes.platforms.baidu import BaiduAdapter
from probes.platforms.bing import BingAdapter, BingCnAdapter

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
PLUGIN = TESTS / "example_plugin"
KIT_TESTS = {
    "test_case",
    "test_cases_cover_visible_error_and_each_silent_signal",
    "test_fixture_folder_holds_every_case_and_its_sources",
    "test_request_is_pure_and_aimed_at_base_url",
    "test_a_page_from_another_site_is_a_parse_error",
    "test_classify_survives_anything",
}

# Runs in a fresh interpreter that sees the installed plugin (and this process does not).
PROBE = """
import inspect, json
from pathlib import Path
from probes.registry import adapters

found = adapters()
cls = found["example_search"]
print(json.dumps({
    "names": sorted(found),
    "file": inspect.getfile(cls),
    "fixture_dir": str(cls.fixture_dir(Path("/nowhere"))),
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


def _run(site: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` seeing the installed plugin, in ``cwd`` (by default the install)."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(REPO)]), "COLUMNS": "200"}
    env.pop("PYTEST_DISABLE_PLUGIN_AUTOLOAD", None)
    env.pop("PYTEST_ADDOPTS", None)
    return subprocess.run(
        [sys.executable, *args], capture_output=True, text=True, env=env, cwd=cwd or site,
        timeout=300,
    )  # fmt: skip


def _kit(
    site: Path, cwd: Path, *names: str, paths: tuple[str, ...] = ()
) -> tuple[int, str, list[tuple[str, str, str]]]:
    """Run the kit over ``names`` (and the tests under ``paths``) as a package does: exit code,
    output, and each kit test's outcome, name and parameters."""
    options = [arg for name in names for arg in ("--censorprobe-adapter", name)]
    args = ("-m", "pytest", "-rA", "-p", "no:cacheprovider", *options, *paths)
    result = _run(site, *args, cwd=cwd)
    output = result.stdout + result.stderr
    pattern = r"^(PASSED|FAILED) \S*::TestAdapterContract::(\w+)\[(.*?)\]( - .*)?$"
    ran = [match[:3] for match in re.findall(pattern, output, re.MULTILINE)]
    return result.returncode, output, ran


def test_the_installed_plugin_is_registered_with_its_own_fixtures(site: Path) -> None:
    result = _run(site, "-c", PROBE)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert "example_search" in report["names"] and "baidu" in report["names"]
    assert Path(report["file"]).is_relative_to(site)
    assert Path(report["fixture_dir"]).is_relative_to(site)  # fixtures shipped as package data


def test_the_plugin_package_passes_the_kit(site: Path, tmp_path: Path) -> None:
    """From a checkout of the plugin, with censorprobe installed: the whole kit, and it passes
    (with no paths given, the kit alone: the package's own tests are not run)."""
    checkout = tmp_path / "censorprobe-example"
    shutil.copytree(PLUGIN, checkout, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    (checkout / "test_own.py").write_text("def test_own():\n    raise AssertionError('ran')\n")
    code, output, ran = _kit(site, checkout, "censorprobe_example")
    assert code == 0, output
    assert {test for _, test, _ in ran} == KIT_TESTS
    assert all(outcome == "PASSED" and "example_search" in ids for outcome, _, ids in ran)
    assert len(ran) == 11, output  # 5 cases, 2 base URLs, 4 others


def test_the_kit_fails_a_broken_adapter(site: Path, tmp_path: Path) -> None:
    """An adapter that reads every page as results, ignores base_url and cites no sources:
    the kit names each of these, and passes what is right (besides the tests it was given)."""
    (tmp_path / "broken_site.py").write_text(BROKEN, encoding="utf-8")
    (tmp_path / "tests" / "fixtures" / "broken_site").mkdir(parents=True)
    (tmp_path / "tests" / "fixtures" / "broken_site" / "page.html").write_text("<p>hi</p>")
    (tmp_path / "test_own.py").write_text("def test_own():\n    pass\n")
    code, output, ran = _kit(site, tmp_path, "broken_site", paths=("test_own.py",))
    assert code == 1, output
    assert re.search(r"^PASSED test_own.py::test_own$", output, re.MULTILINE), output
    assert sorted(ran) == [
        ("FAILED", "test_a_page_from_another_site_is_a_parse_error", "broken_site"),
        ("FAILED", "test_classify_survives_anything", "broken_site"),
        ("FAILED", "test_fixture_folder_holds_every_case_and_its_sources", "broken_site"),
        ("FAILED", "test_request_is_pure_and_aimed_at_base_url", "broken_site-None"),
        (
            "FAILED",
            "test_request_is_pure_and_aimed_at_base_url",
            "broken_site-http://127.0.0.1:8765/mirror/",
        ),
        ("PASSED", "test_case", "broken_site:0:page.html"),
        ("PASSED", "test_case", "broken_site:1:page.html"),
        ("PASSED", "test_cases_cover_visible_error_and_each_silent_signal", "broken_site"),
    ]
    assert "no SOURCES.md" in output and "google-like.synthetic.html: visible" in output


BROKEN = """
import httpx
from probes import Adapter, Case, ErrorKind, ResultPage, Verdict

class BrokenSiteAdapter(Adapter):
    name = "broken_site"
    version = "0"
    default_base_url = "https://broken.example"
    cases = (
        Case("page.html", Verdict.VISIBLE, count=7),
        Case("page.html", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=500),
    )

    def request(self, query):
        return httpx.Request("GET", "https://elsewhere.example/s", params={"q": query.text})

    def parse_results(self, query, response, body):
        return ResultPage(7)
"""


def test_the_kit_is_given_adapters_by_name_or_by_module() -> None:
    assert adapters_named(["baidu"]) == (BaiduAdapter,)
    assert adapters_named(["probes.platforms.bing", "bing"]) == (BingAdapter, BingCnAdapter)
    with pytest.raises(TargetError, match="neither a known adapter .*baidu.* nor an importable"):
        adapters_named(["no_such_site"])
    with pytest.raises(TargetError, match="module 'probes.kit' defines no adapter"):
        adapters_named(["probes.kit"])


def test_an_unknown_adapter_is_a_usage_error(site: Path, tmp_path: Path) -> None:
    code, output, ran = _kit(site, tmp_path, "no_such_site")
    assert (code, ran) == (4, [])
    assert "--censorprobe-adapter: 'no_such_site' is neither a known adapter" in output


def test_the_cli_lists_the_plugin(site: Path) -> None:
    code = "from runners.cli.adapters import list_adapters; list_adapters()"
    result = _run(site, "-c", code)
    assert result.returncode == 0, result.stderr
    assert "example_search" in result.stdout
    assert "search.example.org" in result.stdout


def test_without_the_plugin_it_is_not_registered() -> None:
    from probes.registry import adapters

    assert "example_search" not in adapters()
