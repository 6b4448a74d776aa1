"""The shared contract test kit: every registered adapter, over its own cases and over junk.

Adapters are taken from ``probes.registry.adapters()``, so a new platform module (or an
installed third-party adapter) is tested here without touching this file.
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_plus

import httpx
import pytest
from adapter_kit import (
    FIXTURES,
    case_problems,
    coverage_problems,
    fixture_bytes,
    fixture_files,
    outcome_problems,
    run_case,
)
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from probes import Adapter, Case, ErrorKind, Outcome, Query, ResultPage, Signal, Verdict
from probes.registry import ENTRY_POINT_GROUP, adapters

ADAPTERS = sorted(adapters().items())
ADAPTER_CLASSES = [cls for _, cls in ADAPTERS]
ADAPTER_IDS = [name for name, _ in ADAPTERS]
QUERIES = ("Hello", "天气", "六四 天安门", "a&b=c#d+e/f?%20", "習近平")


def _all_cases() -> Iterator[Any]:
    for name, cls in ADAPTERS:
        for index, case in enumerate(cls.cases):
            yield pytest.param(cls, case, id=f"{name}:{index}:{case.fixture}")


# -- every adapter over its own recorded cases ------------------------------------------


@pytest.mark.parametrize(("adapter_cls", "case"), list(_all_cases()))
def test_case(adapter_cls: type[Adapter], case: Case) -> None:
    if not (adapter_cls.fixture_dir() / case.fixture).is_file():
        pytest.fail(f"fixture {case.fixture} missing under {adapter_cls.fixture_dir()}")
    outcome = run_case(adapter_cls, case)
    assert case_problems(case, outcome) == []


# -- meta-tests -------------------------------------------------------------------------


@pytest.mark.parametrize("adapter_cls", ADAPTER_CLASSES, ids=ADAPTER_IDS)
def test_adapter_has_visible_censored_and_error_cases(adapter_cls: type[Adapter]) -> None:
    assert coverage_problems(adapter_cls) == []


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


@pytest.mark.parametrize("adapter_cls", ADAPTER_CLASSES, ids=ADAPTER_IDS)
def test_every_case_fixture_exists(adapter_cls: type[Adapter]) -> None:
    folder = adapter_cls.fixture_dir()
    missing = sorted({case.fixture for case in adapter_cls.cases} - _present(folder))
    assert missing == [], f"missing under {folder}"


def _present(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


@pytest.mark.parametrize("adapter_cls", ADAPTER_CLASSES, ids=ADAPTER_IDS)
def test_fixture_folder_says_where_its_files_come_from(adapter_cls: type[Adapter]) -> None:
    assert (adapter_cls.fixture_dir() / "SOURCES.md").is_file()


def test_registered_names_are_the_adapters_own() -> None:
    assert ADAPTER_IDS, "no adapter registered"
    for name, cls in ADAPTERS:
        assert cls.name == name and name.isidentifier()


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


# -- request(): pure, aimed at base_url, carries the query -------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any socket opened while this is active fails the test: request() must do no I/O."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("request() tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.usefixtures("no_network")
@pytest.mark.parametrize("adapter_cls", ADAPTER_CLASSES, ids=ADAPTER_IDS)
@pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:8765/mirror/"])
def test_request_is_pure_and_aimed_at_base_url(
    adapter_cls: type[Adapter], base_url: str | None
) -> None:
    adapter = adapter_cls(base_url=base_url, env={})
    expected_base = (base_url or adapter_cls.default_base_url).rstrip("/")
    assert adapter.base_url == expected_base
    queries = {*QUERIES, *(case.query for case in adapter_cls.cases)}
    for text in sorted(queries):
        first, second = adapter.request(Query(text)), adapter.request(Query(text))
        assert isinstance(first, httpx.Request)
        assert _snapshot(first) == _snapshot(second), "request() must be deterministic"
        assert str(first.url).startswith(expected_base)
        assert _carries(first, text), f"{text!r} not in {first.method} {first.url}"


def _snapshot(request: httpx.Request) -> tuple[str, str, list[tuple[str, str]], bytes]:
    return request.method, str(request.url), sorted(request.headers.items()), request.read()


def _carries(request: httpx.Request, text: str) -> bool:
    """The query is in the URL (path or parameters, even encoded twice) or in the body."""
    found: list[str] = []
    for raw in (str(request.url), request.read().decode("utf-8", "replace")):
        value = raw
        for _ in range(3):
            found += [unquote(value), unquote_plus(value)]
            value = unquote(value)
    with contextlib.suppress(ValueError):
        found.append(json.dumps(json.loads(request.read()), ensure_ascii=False))
    return any(text in candidate for candidate in found)


# -- pages from other sites are parse errors, never findings -----------------------------


def _foreign_pages() -> list[tuple[Path, Case]]:
    """Google-like and other pages written for this, and every adapter's visible pages."""
    pages = {
        path: Case(path.name, Verdict.VISIBLE) for path in fixture_files(FIXTURES / "_foreign")
    }
    for _, cls in ADAPTERS:
        for case in cls.cases:
            path = cls.fixture_dir() / case.fixture
            if case.expect is Verdict.VISIBLE and path.is_file():
                pages.setdefault(path, case)
    return sorted(pages.items())


FOREIGN = _foreign_pages()


@pytest.mark.parametrize("adapter_cls", ADAPTER_CLASSES, ids=ADAPTER_IDS)
def test_a_page_from_another_site_is_a_parse_error(adapter_cls: type[Adapter]) -> None:
    adapter = adapter_cls(env={})
    own = adapter_cls.fixture_dir().resolve()
    checked = 0
    for path, case in FOREIGN:
        if path.parent.resolve() == own:
            continue
        request = adapter.request(Query(case.query))
        response = httpx.Response(
            case.status, headers=dict(case.headers), content=fixture_bytes(path), request=request
        )
        outcome = adapter.classify(Query(case.query), response)
        label = path.relative_to(FIXTURES)
        assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.PARSE), (
            f"{label}: {outcome.verdict} {outcome.signal or outcome.error} ({outcome.detail})"
        )
        checked += 1
    assert checked >= 2


# -- anything at all through classify: an Outcome, never an exception -------------------

_KEYS = st.sampled_from(
    ["query", "search", "searchinfo", "totalhits", "title", "error", "code", "info", "ok",
     "data", "cards", "msg", "items", "hits", "total", "url", "list", "result"]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(_KEYS | st.text(max_size=5), inner, max_size=5)
    ),
    max_leaves=25,
)
_PAGES = st.sampled_from(sorted(fixture_files()))
_REAL = _PAGES.map(fixture_bytes)
_LARGEST = max((fixture_bytes(path) for path in fixture_files()), key=len)
_HUGE = _LARGEST * max(1, 4_000_000 // len(_LARGEST))  # a real page repeated to about 4 MB
#: Bodies no platform would send as a results page: nothing may be concluded from them.
_JUNK = st.one_of(
    st.just(b""),
    st.binary(max_size=4096),
    st.text(max_size=2000).map(lambda text: text.encode("utf-8")),
    st.text(max_size=200).map(lambda text: text.encode("gb18030")),
)
_BODIES = st.one_of(
    _JUNK.map(lambda body: (body, True)),
    _REAL.map(lambda body: (body, False)),
    _JSON.map(lambda value: (json.dumps(value).encode(), False)),
    st.tuples(_REAL, st.integers(1, 6)).map(lambda pair: (pair[0] * pair[1], False)),
    st.tuples(_REAL, st.floats(0, 1)).map(
        lambda pair: (pair[0][: int(len(pair[0]) * pair[1])], False)
    ),
)
_HEADER_VALUES = st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60).map(
    lambda text: text.strip().encode("latin-1")
)
_HEADERS = st.dictionaries(
    st.sampled_from([b"Location", b"Retry-After", b"MediaWiki-API-Error", b"Set-Cookie", b"Server"]),
    _HEADER_VALUES,
    max_size=3,
).flatmap(
    lambda headers: st.sampled_from(
        ["text/html; charset=utf-8", "application/json", "text/html; charset=gbk",
         "text/plain; charset=nonsense", "image/png", ""]
    ).map(lambda kind: {**headers, b"Content-Type": kind.encode()} if kind else headers)
)  # fmt: skip
_STATUS = st.sampled_from([200, 200, 200, 202, 204, 301, 302, 403, 404, 418, 429, 500, 503]) | (
    st.integers(100, 599)
)


@pytest.mark.parametrize("adapter_cls", ADAPTER_CLASSES, ids=ADAPTER_IDS)
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(status=_STATUS, headers=_HEADERS, body=_BODIES)
@example(status=200, headers={}, body=(_HUGE, False))
@example(status=200, headers={}, body=(b"", True))
def test_classify_survives_anything(
    adapter_cls: type[Adapter], status: int, headers: dict[bytes, bytes], body: tuple[bytes, bool]
) -> None:
    content, junk = body
    adapter = adapter_cls(env={})
    query = Query("Hello")
    response = httpx.Response(
        status, headers=headers, content=content, request=adapter.request(query)
    )
    outcome = adapter.classify(query, response)
    assert outcome_problems(outcome) == []
    if junk:
        assert outcome.verdict is Verdict.ERROR, f"{outcome} from junk"


# -- the kit catches broken adapters ------------------------------------------------------


class _Broken(Adapter):
    """Claims every page is a visible result list: the kit must notice."""

    name = "broken"
    version = "0"
    default_base_url = "https://example.invalid"
    cases = (Case("en-qmxjsudek.json", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0),)

    @classmethod
    def fixture_dir(cls) -> Path:
        return FIXTURES / "wikipedia"

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/s", params={"q": query.text})

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage:
        return ResultPage(7)


def test_the_kit_reports_a_wrong_verdict() -> None:
    problems = case_problems(_Broken.cases[0], run_case(_Broken, _Broken.cases[0]))
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
