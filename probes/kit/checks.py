"""The contract kit's checks as plain functions: each returns the problems it finds (empty: none).

:mod:`probes.kit.suite` runs them as tests; they need no pytest, so a notebook or another
test runner can call them too.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import httpx

from probes.contract import Adapter, Case, Query
from probes.outcome import Item, Outcome, Signal, Verdict

__all__ = [
    "case_problems",
    "case_response",
    "coverage_problems",
    "fixture_bytes",
    "fixture_files",
    "outcome_problems",
    "run_case",
]


@cache
def fixture_bytes(path: Path) -> bytes:
    """A recorded body; ``.gz`` files are stored gzipped and read back as the body itself."""
    raw = path.read_bytes()
    return gzip.decompress(raw) if path.suffix == ".gz" else raw


def fixture_files(folder: Path) -> Iterator[Path]:
    """Every recorded body under ``folder`` (not the ``SOURCES.md`` notes)."""
    return (path for path in sorted(folder.rglob("*")) if path.is_file() and path.suffix != ".md")


def case_response(adapter: Adapter, case: Case, body: bytes) -> tuple[Query, httpx.Response]:
    """The query and the response a case describes (with ``body``), as the runner hands them
    to ``classify``."""
    query = Query(case.query)
    response = httpx.Response(
        case.status, headers=dict(case.headers), content=body, request=adapter.request(query)
    )
    return query, response


def run_case(adapter_cls: type[Adapter], case: Case, folder: Path) -> Outcome:
    """Classify a case's recorded response (its fixture under ``folder``) with a new adapter."""
    adapter = adapter_cls(env={})
    query, response = case_response(adapter, case, fixture_bytes(folder / case.fixture))
    return adapter.classify(query, response)


def case_problems(case: Case, outcome: Outcome) -> list[str]:
    """How an outcome differs from what its case expects (empty when it matches)."""
    expected = {"verdict": case.expect, "signal": case.signal, "error": case.error}
    got = {"verdict": outcome.verdict, "signal": outcome.signal, "error": outcome.error}
    problems = [
        f"{key}: expected {expected[key]!s}, got {got[key]!s}"
        for key in expected
        if expected[key] != got[key]
    ]
    if case.count is not None and outcome.result_count != case.count:
        problems.append(f"count: expected {case.count}, got {outcome.result_count}")
    if problems and outcome.detail:
        problems.append(f"(detail: {outcome.detail})")
    return problems + outcome_problems(outcome)


def outcome_problems(outcome: Outcome) -> list[str]:
    """Broken invariants of an outcome: rule zero and the verdict table of
    ``docs/architecture.md`` ("Verdicts")."""
    problems = []
    if not isinstance(outcome, Outcome):
        return [f"classify returned {type(outcome).__name__}, not an Outcome"]
    if outcome.verdict is Verdict.VISIBLE and (outcome.signal or outcome.error):
        problems.append("a visible outcome carries a signal or an error")
    if outcome.verdict is Verdict.CENSORED and (
        not isinstance(outcome.signal, Signal) or outcome.error
    ):
        problems.append("a censored outcome needs a signal and no error")
    if outcome.verdict is Verdict.ERROR and (outcome.error is None or outcome.signal):
        problems.append("an error outcome needs an error kind and no signal")
    if outcome.verdict not in tuple(Verdict):
        problems.append(f"unknown verdict {outcome.verdict!r}")
    count = outcome.result_count
    if count is not None and (not isinstance(count, int) or count < 0):
        problems.append(f"bad result count {count!r}")
    if not all(isinstance(item, Item) for item in outcome.items):
        problems.append("items must be Item objects")
    if outcome.retry_after is not None and outcome.retry_after < 0:
        problems.append(f"negative retry_after {outcome.retry_after}")
    return problems


def coverage_problems(adapter_cls: type[Adapter]) -> list[str]:
    """An adapter needs at least one visible and one error case, and a censored case for each
    silent signal it declares: a platform known to hide nothing silently (Wikipedia,
    DuckDuckGo) may have no censored case at all."""
    if not adapter_cls.cases:
        return [f"{adapter_cls.name}: no cases"]
    verdicts = {case.expect for case in adapter_cls.cases}
    signals = {case.signal for case in adapter_cls.cases if case.expect is Verdict.CENSORED}
    return [
        f"{adapter_cls.name}: no {verdict.value} case"
        for verdict in (Verdict.VISIBLE, Verdict.ERROR)
        if verdict not in verdicts
    ] + [
        f"{adapter_cls.name}: no censored {signal.value} case"
        for signal in sorted(adapter_cls.silent_censorship - signals)
    ]
