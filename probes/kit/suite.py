"""The contract kit as a pytest test class: every adapter over its own cases and over junk.

Subclass :class:`AdapterContract` in a test module and say what it tests::

    class TestMyAdapter(AdapterContract):
        def kit_target(self, config):
            return KitTarget((MyAdapter,), Path(__file__).parent / "fixtures")

or let the plugin do it: ``pytest --censorprobe-adapter NAME`` (:mod:`probes.kit.plugin`).
Each adapter's cases must give their verdicts; its fixture folder must hold every case and
say where its files come from; ``request()`` must be pure and aimed at ``base_url``; a page
from another site must be a ``parse`` error; and ``classify`` must turn anything at all into
an :class:`~probes.outcome.Outcome` that keeps rule zero (``docs/architecture.md``).
"""

from __future__ import annotations

import contextlib
import json
import socket
from urllib.parse import unquote, unquote_plus

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from probes.contract import Adapter, Case, Query
from probes.kit.checks import (
    case_problems,
    case_response,
    coverage_problems,
    fixture_bytes,
    fixture_files,
    outcome_problems,
    run_case,
)
from probes.kit.target import KitTarget
from probes.outcome import ErrorKind, Verdict

__all__ = ["AdapterContract"]

#: Queries every request() must carry, besides those of the adapter's cases.
QUERIES = ("Hello", "天气", "六四 天安门", "a&b=c#d+e/f?%20", "習近平")


class AdapterContract:
    """The kit's tests, parametrised over the adapters :meth:`kit_target` names."""

    def kit_target(self, config: pytest.Config) -> KitTarget:
        """The adapters to test and their fixture root: a subclass says."""
        raise NotImplementedError

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        adapters = self.kit_target(metafunc.config).adapters
        if "case" in metafunc.fixturenames:
            metafunc.parametrize(
                ("adapter_cls", "case"),
                [
                    pytest.param(cls, case, id=f"{cls.name}:{index}:{case.fixture}")
                    for cls in adapters
                    for index, case in enumerate(cls.cases)
                ],
            )
        elif "adapter_cls" in metafunc.fixturenames:
            metafunc.parametrize("adapter_cls", adapters, ids=[cls.name for cls in adapters])

    @pytest.fixture
    def target(self, request: pytest.FixtureRequest) -> KitTarget:
        return self.kit_target(request.config)

    # -- its own recorded cases ----------------------------------------------------------

    def test_case(self, target: KitTarget, adapter_cls: type[Adapter], case: Case) -> None:
        folder = target.folder(adapter_cls)
        if not (folder / case.fixture).is_file():
            pytest.fail(f"fixture {case.fixture} missing under {folder}")
        assert case_problems(case, run_case(adapter_cls, case, folder)) == []

    def test_cases_cover_visible_error_and_each_silent_signal(
        self, adapter_cls: type[Adapter]
    ) -> None:
        assert coverage_problems(adapter_cls) == []

    def test_fixture_folder_holds_every_case_and_its_sources(
        self, target: KitTarget, adapter_cls: type[Adapter]
    ) -> None:
        folder = target.folder(adapter_cls)
        present = {path.relative_to(folder).as_posix() for path in folder.rglob("*")}
        missing = sorted({case.fixture for case in adapter_cls.cases} - present)
        assert missing == [], f"missing under {folder}"
        assert "SOURCES.md" in present, f"{folder}: no SOURCES.md saying where its files come from"

    # -- request(): pure, aimed at base_url, carries the query ---------------------------

    @pytest.fixture
    def no_network(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Any socket opened while this is active fails the test: request() must do no I/O."""

        def refuse(*args: object, **kwargs: object) -> None:
            raise AssertionError("request() tried to open a socket")

        monkeypatch.setattr(socket, "socket", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        monkeypatch.setattr(socket, "getaddrinfo", refuse)

    @pytest.mark.usefixtures("no_network")
    @pytest.mark.parametrize("base_url", [None, "http://127.0.0.1:8765/mirror/"])
    def test_request_is_pure_and_aimed_at_base_url(
        self, adapter_cls: type[Adapter], base_url: str | None
    ) -> None:
        adapter = adapter_cls(base_url=base_url, env={})
        expected_base = (base_url or adapter_cls.default_base_url).rstrip("/")
        assert adapter.base_url == expected_base
        for text in sorted({*QUERIES, *(case.query for case in adapter_cls.cases)}):
            first, second = adapter.request(Query(text)), adapter.request(Query(text))
            assert isinstance(first, httpx.Request)
            assert _snapshot(first) == _snapshot(second), "request() must be deterministic"
            assert str(first.url).startswith(expected_base)
            assert _carries(first, text), f"{text!r} not in {first.method} {first.url}"

    # -- pages from other sites are parse errors, never findings -------------------------

    def test_a_page_from_another_site_is_a_parse_error(
        self, target: KitTarget, adapter_cls: type[Adapter]
    ) -> None:
        adapter = adapter_cls(env={})
        pages = target.foreign_pages(adapter_cls)
        wrong = []
        for path, case in pages:
            query, response = case_response(adapter, case, fixture_bytes(path))
            outcome = adapter.classify(query, response)
            if (outcome.verdict, outcome.error) != (Verdict.ERROR, ErrorKind.PARSE):
                found = outcome.signal or outcome.error
                wrong.append(f"{path}: {outcome.verdict} {found} ({outcome.detail})")
        assert wrong == [], "pages of other sites read as this platform's:\n" + "\n".join(wrong)
        assert len(pages) >= 2

    # -- anything at all through classify: an Outcome, never an exception ---------------

    def test_classify_survives_anything(
        self, target: KitTarget, adapter_cls: type[Adapter]
    ) -> None:
        pages = _pages(target, adapter_cls)
        largest = max(pages, key=len)
        huge = largest * max(1, 4_000_000 // max(1, len(largest)))  # a real page, about 4 MB
        adapter = adapter_cls(env={})

        @settings(
            max_examples=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
        )
        @given(status=_STATUS, headers=_HEADERS, body=_bodies(pages))
        @example(status=200, headers={}, body=(huge, False))
        @example(status=200, headers={}, body=(b"", True))
        def classify(status: int, headers: dict[bytes, bytes], body: tuple[bytes, bool]) -> None:
            content, junk = body
            query = Query("Hello")
            response = httpx.Response(
                status, headers=headers, content=content, request=adapter.request(query)
            )
            outcome = adapter.classify(query, response)
            assert outcome_problems(outcome) == []
            if junk:
                assert outcome.verdict is Verdict.ERROR, f"{outcome} from junk"

        classify()


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


def _pages(target: KitTarget, adapter_cls: type[Adapter]) -> tuple[bytes, ...]:
    """Real bodies to fuzz with: the adapter's own recordings and every foreign page."""
    own = fixture_files(target.folder(adapter_cls))
    foreign = (path for path, _ in target.foreign_pages(adapter_cls))
    return tuple(fixture_bytes(path) for path in [*own, *foreign])


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
#: Bodies no platform would send as a results page: nothing may be concluded from them.
_JUNK = st.one_of(
    st.just(b""),
    st.binary(max_size=4096),
    st.text(max_size=2000).map(lambda text: text.encode("utf-8")),
    st.text(max_size=200).map(lambda text: text.encode("gb18030")),
)


def _bodies(pages: tuple[bytes, ...]) -> st.SearchStrategy[tuple[bytes, bool]]:
    """Junk (flagged True), real pages, JSON, and real pages repeated or cut short."""
    real = st.sampled_from(pages)
    return st.one_of(
        _JUNK.map(lambda body: (body, True)),
        real.map(lambda body: (body, False)),
        _JSON.map(lambda value: (json.dumps(value).encode(), False)),
        st.tuples(real, st.integers(1, 6)).map(lambda pair: (pair[0] * pair[1], False)),
        st.tuples(real, st.floats(0, 1)).map(
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
