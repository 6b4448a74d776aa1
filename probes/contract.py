"""The adapter contract: what a platform module must provide, and the shared classify flow.

An adapter knows one platform and nothing about runs. It builds requests and reads
responses; it never does I/O (the runner owns HTTP).
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import ClassVar, final
from urllib.parse import urlsplit

import httpx

from probes.allowlists import in_allowlist, load_allowlist
from probes.fingerprints import FingerprintSet, builtin_fingerprints
from probes.outcome import SILENT_SIGNALS, ErrorKind, Item, Outcome, Signal, Verdict

__all__ = [
    "Adapter",
    "AdapterConfigError",
    "Case",
    "Pacing",
    "Query",
    "ResultPage",
    "domain_of",
    "retry_after_seconds",
    "status_outcome",
]


class AdapterConfigError(RuntimeError):
    """The adapter cannot run at all (missing credentials, bad setting): raised before a run."""


def body_text(response: httpx.Response) -> str:
    """The body as text by its declared charset, or as UTF-8 where that charset is unusable.

    A platform may declare any codec name Python knows (``charset=idna``, ``rot13``): httpx
    then raises instead of decoding, and the page would read as unparseable.
    """
    if not response.content:
        return ""
    try:
        return response.text
    except (LookupError, UnicodeError, TypeError):
        return response.content.decode("utf-8", errors="replace")


@dataclass(frozen=True, slots=True)
class Query:
    """What is sent: the final text and, for a combination, its parts."""

    text: str
    parts: tuple[str, ...] = ()

    @classmethod
    def of(cls, parts: tuple[str, ...] | list[str], separator: str = " ") -> Query:
        parts = tuple(parts)
        return cls(separator.join(parts), parts)


@dataclass(frozen=True, slots=True)
class Pacing:
    """Default politeness: requests per second and burst size."""

    rate: float
    burst: int = 1


@dataclass(frozen=True, slots=True)
class ResultPage:
    """What an adapter read off a results page it recognised."""

    result_count: int
    items: tuple[Item, ...] = ()


@dataclass(frozen=True, slots=True)
class Case:
    """A recorded response and what the adapter must make of it (yt-dlp style).

    ``fixture`` is relative to the adapter's fixture folder. ``expect`` is a verdict;
    ``signal`` or ``error`` the signal or error kind; ``count`` the result count when known.
    """

    fixture: str
    expect: Verdict
    signal: Signal | None = None
    error: ErrorKind | None = None
    count: int | None = None
    query: str = "Hello"
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    note: str = ""


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; ``inf`` for a wait too long to
    represent, None when unreadable."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return None if math.isnan(seconds) else max(0.0, seconds)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def status_outcome(response: httpx.Response) -> Outcome | None:
    """What the status alone decides, before any page is read; None when the page must be read.

    Half of the one status policy (the other half, for the statuses a page may explain, is at
    the end of :meth:`Adapter._classify`): a 429 is ``rate_limited`` and a 5xx an
    ``http_status`` error, each with the Retry-After it carries, whatever its body says. The
    runner decides nothing from a status itself, so an adapter's cases run the path real
    probes take.
    """
    status = response.status_code
    if status != 429 and status < 500:
        return None
    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
    kind = ErrorKind.RATE_LIMITED if status == 429 else ErrorKind.HTTP_STATUS
    wait = "" if retry_after is None else f", Retry-After {retry_after:g} s"
    return Outcome.failed(kind, f"HTTP {status}{wait}", retry_after=retry_after)


def domain_of(url: str) -> str:
    """The host of a URL without a leading ``www.``; empty when there is none."""
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


class Adapter:
    """Base class of every platform adapter.

    Subclasses set the class attributes and implement :meth:`request` and
    :meth:`parse_results`; the default :meth:`classify` then applies fingerprints
    (``probes/fingerprints/<name>.yaml`` and ``common.yaml``), the HTTP status, the
    page parse and the soft-censorship allow-list, in that order.

    Silence is not censorship: an empty answer, or one drawn only from official sources, is
    read as ``censored`` (``suspected``) only when the platform is known to hide terms that
    way (:attr:`silent_censorship`, with its source in the module docstring); anywhere else it
    is ``visible`` (an empty one with ``result_count: 0``). :meth:`truism` gives the runner the
    query that confirms such a suspicion.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    default_base_url: ClassVar[str]
    pacing: ClassVar[Pacing] = Pacing(rate=0.5, burst=1)
    #: Joins the parts of a combination into one query.
    separator: ClassVar[str] = " "
    #: Most characters of a query the platform takes (None: no known limit). A longer query is
    #: cut silently or refused, so its answer says nothing about it: runs and isolations refuse
    #: to send it.
    max_query_length: ClassVar[int | None] = None
    #: Fingerprint files this adapter uses, besides ``common``.
    fingerprint_files: ClassVar[tuple[str, ...]] = ()
    #: Name of the allow-list file (``probes/allowlists/<name>.txt``) for soft censorship.
    allowlist_name: ClassVar[str | None] = None
    #: The silent signals (``zero_results``, ``soft``) this platform is known to use to hide a
    #: term, each with its source in the module docstring. An empty answer is ``zero_results``
    #: only where ``zero_results`` is listed, an answer of only official sources ``soft`` only
    #: where ``soft`` is; otherwise both are ``visible``.
    silent_censorship: ClassVar[frozenset[Signal]] = frozenset()
    #: Environment variables this adapter reads (credentials); documented in ``adapters``.
    env_vars: ClassVar[tuple[str, ...]] = ()
    #: Recorded cases; fixture paths relative to :meth:`fixture_dir`.
    cases: ClassVar[tuple[Case, ...]] = ()

    def __init__(self, base_url: str | None = None, env: Mapping[str, str] | None = None) -> None:
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.env = os.environ if env is None else env

    @classmethod
    def fixture_dir(cls, root: Path) -> Path:
        """Where this adapter's recorded responses live, given the contract kit's fixture root
        (``probes.kit``; a checkout's ``tests/fixtures``): ``root/<name>``. An adapter that
        shares another's recordings names that folder; one that ships its own returns it."""
        return root / cls.name

    def check_ready(self) -> None:
        """Raise :class:`AdapterConfigError` if the adapter cannot run (e.g. no token)."""

    @property
    def fingerprints(self) -> FingerprintSet:
        return builtin_fingerprints(self.fingerprint_files or (self.name,))

    # -- the contract -------------------------------------------------------------------

    def request(self, query: Query) -> httpx.Request:  # pragma: no cover - abstract
        raise NotImplementedError

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        """Read a results page; None when the page is not one this adapter recognises."""
        raise NotImplementedError  # pragma: no cover - abstract

    def truism(self, query: Query | None) -> Query | None:
        """The query that confirms a silent signal on this platform (Citizen Lab's *truism*).

        With a query: a query containing its text that finds results for any text unless that
        text is filtered — restricted to a source off the allow-list where the platform is
        known for ``soft`` censorship, so that it confirms every signal in
        :attr:`silent_censorship`. With None: the same query without the text, its control.
        None when no such form is known for the platform (or the form would not fit
        :attr:`max_query_length`): a silent signal then stays ``suspected``.
        """
        return None

    @final
    def classify(self, query: Query, response: httpx.Response) -> Outcome:
        """Pure: turn a response into an outcome. Never raises for odd input.

        The one status policy: :func:`status_outcome` first, then :meth:`_classify` (which
        platforms extend). The runner calls this and nothing else, and so do the cases.
        """
        try:
            return status_outcome(response) or self._classify(query, response)
        except Exception as exc:  # noqa: BLE001 - any parser surprise is a parse error
            return Outcome.failed(ErrorKind.PARSE, f"{type(exc).__name__}: {exc}")

    def _classify(self, query: Query, response: httpx.Response) -> Outcome:
        body = body_text(response)
        matched = self.fingerprints.first_match(response, body)
        if matched is not None:
            row, text = matched
            if row.verdict is Verdict.ERROR:
                assert row.error is not None
                return Outcome.failed(row.error, text[:300], fingerprint=row.name)
            assert row.signal is not None
            if row.signal in SILENT_SIGNALS:
                page = (
                    self.parse_results(query, response, body) if row.signal is Signal.SOFT else None
                )
                return self._silent(row.signal, page or ResultPage(0), fingerprint=row.name)
            page = (
                self.parse_results(query, response, body)
                if row.signal is Signal.PARTIAL_NOTICE
                else None
            )
            return Outcome.censored(
                row.signal,
                notice=text if row.signal in (Signal.NOTICE, Signal.PARTIAL_NOTICE) else None,
                result_count=page.result_count if page else None,
                items=page.items if page else (),
                fingerprint=row.name,
            )
        if response.has_redirect_location:
            # The runner follows redirects on the platform's own host; one that reaches an
            # adapter leads elsewhere, and where it led is the one thing worth saying.
            return Outcome.failed(
                ErrorKind.REDIRECT,
                f"HTTP {response.status_code} to {response.headers['Location'][:300]}",
            )
        if response.status_code != 200:
            return Outcome.failed(ErrorKind.HTTP_STATUS, f"HTTP {response.status_code}")
        page = self.parse_results(query, response, body)
        if page is None:
            return Outcome.failed(ErrorKind.PARSE, "not a results page this adapter recognises")
        if page.result_count == 0 and not page.items:
            return self._silent(Signal.ZERO_RESULTS, page)
        if self._only_official(page.items):
            return self._silent(Signal.SOFT, page)
        return Outcome.visible(page.result_count, page.items)

    def _silent(self, signal: Signal, page: ResultPage, fingerprint: str | None = None) -> Outcome:
        """A silent signal: ``suspected`` censorship where the platform is known to use it."""
        if signal not in self.silent_censorship:
            return Outcome.visible(page.result_count, page.items, fingerprint=fingerprint)
        return Outcome.censored(
            signal, result_count=page.result_count, items=page.items, fingerprint=fingerprint
        )

    def _only_official(self, items: tuple[Item, ...]) -> bool:
        if self.allowlist_name is None or not items:
            return False
        allowlist = load_allowlist(self.allowlist_name)
        return all(in_allowlist(item.source, allowlist) for item in items)
