"""The contract kit (``probes.kit``) over every registered adapter, and tests of the kit itself.

Adapters are taken from ``probes.registry.adapters()``, so a new platform module (or an
installed third-party adapter) is tested here without touching this file.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from probes import Adapter, Case, ErrorKind, Outcome, Query, ResultPage, Signal, Verdict, platforms
from probes.kit.checks import case_problems, coverage_problems, outcome_problems, run_case
from probes.kit.suite import AdapterContract
from probes.kit.target import KitTarget
from probes.registry import ENTRY_POINT_GROUP, adapters

FIXTURES = Path(__file__).resolve().parent / "fixtures"
EVERY_ADAPTER = KitTarget(tuple(cls for _, cls in sorted(adapters().items())), FIXTURES)


class TestEveryRegisteredAdapter(AdapterContract):
    def kit_target(self, config: pytest.Config) -> KitTarget:
        return EVERY_ADAPTER


# -- the registry, and the kit catching adapters that are not ready ------------------------


def test_an_adapter_without_cases_fails_the_kit() -> None:
    class NoCases(Adapter):
        name = "no_cases"
        version = "0"
        default_base_url = "https://example.invalid"

    class OnlyVisible(NoCases):
        name = "only_visible"
        cases = (Case("page.html", Verdict.VISIBLE),)

    class SilentUntested(OnlyVisible):
        name = "silent_untested"
        silent_censorship = frozenset({Signal.ZERO_RESULTS})
        cases = (
            Case("page.html", Verdict.VISIBLE),
            Case("notice.html", Verdict.CENSORED, Signal.NOTICE),
            Case("wall.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        )

    assert coverage_problems(NoCases) == ["no_cases: no cases"]
    assert coverage_problems(OnlyVisible) == ["only_visible: no error case"]
    assert coverage_problems(SilentUntested) == ["silent_untested: no censored zero_results case"]


def test_registered_names_are_the_adapters_own() -> None:
    assert EVERY_ADAPTER.adapters, "no adapter registered"
    for name, cls in adapters().items():
        assert cls.name == name and name.isidentifier()


def test_every_platform_module_is_an_adapter_the_registry_finds() -> None:
    """The registry scans ``probes/platforms/`` with no exclusion list: helpers live elsewhere."""
    folder = Path(platforms.__file__).parent
    modules = {path.stem for path in folder.glob("*.py")} - {"__init__"}
    found = {cls.__module__.rpartition(".")[2] for cls in adapters().values()}
    assert modules and modules <= found, f"modules in {folder} defining no adapter"


def test_two_adapters_with_one_name_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Installed for real (a dist-info with entry points), not by patching the registry."""
    (tmp_path / "twins.py").write_text(
        "from probes import Adapter\n"
        "class First(Adapter):\n    name = 'twin'\n"
        "class Second(Adapter):\n    name = 'twin'\n",
        encoding="utf-8",
    )
    dist = tmp_path / "twins-0.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: twins\nVersion: 0.0\n")
    (dist / "entry_points.txt").write_text(
        f"[{ENTRY_POINT_GROUP}]\nfirst = twins:First\nsecond = twins:Second\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    adapters.cache_clear()
    try:
        with pytest.raises(ValueError, match="'twin' used twice"):
            adapters()
    finally:
        monkeypatch.undo()
        adapters.cache_clear()
    assert "twin" not in adapters()


# -- the kit catches broken adapters ------------------------------------------------------


class _Broken(Adapter):
    """Claims every page is a visible result list: the kit must notice."""

    name = "broken"
    version = "0"
    default_base_url = "https://example.invalid"
    cases = (Case("en-qmxjsudek.json", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0),)

    @classmethod
    def fixture_dir(cls, root: Path) -> Path:
        return root / "wikipedia"

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/s", params={"q": query.text})

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage:
        return ResultPage(7)


def test_the_kit_reports_a_wrong_verdict() -> None:
    problems = case_problems(
        _Broken.cases[0], run_case(_Broken, _Broken.cases[0], _Broken.fixture_dir(FIXTURES))
    )
    assert problems == [
        "verdict: expected censored, got visible",
        "signal: expected zero_results, got None",
        "count: expected 0, got 7",
    ]


def test_outcome_invariants_are_checked() -> None:
    assert outcome_problems(Outcome(Verdict.CENSORED)) == [
        "a censored outcome needs a signal and no error"
    ]
    assert outcome_problems(Outcome(Verdict.ERROR, signal=Signal.NOTICE)) == [
        "an error outcome needs an error kind and no signal"
    ]
    assert outcome_problems(Outcome.visible(-1)) == ["bad result count -1"]
    assert outcome_problems(Outcome.visible(3)) == []
