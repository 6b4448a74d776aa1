"""Trigger isolation through the runner: every oracle call is a real, paced, retried probe.

:mod:`runners.isolation.search` is the pure search; this module gives it an oracle that sends each
query through a :class:`~runners.execution.prober.Prober` (the platform's pacing, retries, Retry-After,
classification) with the fragments joined by the adapter's separator. An answer that is still
an error after the Prober's retries ends the isolation with :class:`IsolationError`: an error is
never read as "not censored", and neither is a query longer than the platform takes
(``Adapter.max_query_length``), which is not sent. Unless the trigger itself was asked (a
reused trigger, or the search's last query), the trigger found is sent once more on its own (the
re-check) to guard against a platform that answered inconsistently; that probe is counted.

:func:`isolate_snapshot` isolates the censored combinations and long texts of a finished run and
appends one JSON line per isolation to ``isolations.jsonl`` in the snapshot (resumable). The
triggers it finds on a platform are tried first on that platform's next texts; those of an
earlier, interrupted pass too, checked again since the rules may have changed in between.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probes.contract import Adapter, Query
from probes.outcome import Signal, Verdict
from probes.registry import get_adapter
from runners.execution.prober import Prober
from runners.isolation.search import BudgetExceeded, isolate_async
from runners.plan.config import RunConfig
from snapshots.format import ISOLATIONS, iter_observations

__all__ = [
    "ISOLATIONS",
    "LONG_TEXT",
    "IsolationError",
    "IsolationResult",
    "isolate_snapshot",
    "isolate_text",
    "read_known",
    "wants_isolation",
]

#: A censored text longer than this (in characters) is worth isolating even as one keyword.
LONG_TEXT = 12


class IsolationError(RuntimeError):
    """A probe of the isolation ended in an error (after retries), or the re-check failed."""

    def __init__(self, kind: str, query: str, detail: str | None, calls: int) -> None:
        message = f"isolation stopped after {calls} queries: {kind} on query {query!r}"
        if detail:
            message += f" ({detail})"
        super().__init__(message)
        self.kind = kind
        self.query = query
        self.detail = detail
        self.calls = calls


@dataclass(frozen=True)
class IsolationResult:
    """``trigger`` is None when the text is not censored; ``queries`` counts every probe sent
    (the re-check included); ``signal`` is how the text itself is censored, the one signal the
    isolation counted as censored."""

    trigger: tuple[str, ...] | None
    queries: int
    platform: str
    separator: str
    text: str
    reused: bool = False
    signal: Signal | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "trigger": list(self.trigger) if self.trigger is not None else None,
            "queries": self.queries,
            "reused": self.reused,
            "signal": self.signal.value if self.signal else None,
            "platform": self.platform,
            "text_length": len(self.text),
        }


class _PlatformOracle:
    """Whether a query is censored, asked as a real probe, counted.

    Censored means censored the way the text itself is (the signal of the first censored
    answer): a shorter query showing another rule's notice, or a long odd one finding nothing,
    is not the rule being isolated.
    """

    def __init__(self, prober: Prober) -> None:
        self.prober = prober
        self.adapter: Adapter = prober.adapter
        self.calls = 0
        self.signal: Signal | None = None
        self.last: tuple[tuple[str, ...], bool] | None = None

    async def __call__(self, fragments: Sequence[str]) -> bool:
        query = Query.of(tuple(fragments), self.adapter.separator)
        limit = self.adapter.max_query_length
        if limit is not None and len(query.text) > limit:
            raise IsolationError(
                "too_long",
                query.text[:60],
                f"{len(query.text)} characters, but {self.adapter.name} takes at most {limit}: "
                f"isolate a passage of at most {limit} characters",
                self.calls,
            )
        self.calls += 1
        outcome = (await self.prober.probe(query)).outcome
        if outcome.verdict is Verdict.ERROR:
            kind = outcome.error.value if outcome.error else "error"
            raise IsolationError(kind, query.text, outcome.detail, self.calls)
        censored = outcome.verdict is Verdict.CENSORED
        if censored and self.signal is None:
            self.signal = outcome.signal
        hit = censored and outcome.signal is self.signal
        self.last = (query.parts, hit)
        return hit


async def isolate_text(
    text: str,
    prober: Prober,
    *,
    budget: int | None = None,
    known: Sequence[tuple[str, ...]] = (),
    earlier: Sequence[tuple[str, ...]] = (),
) -> IsolationResult:
    """Isolate the rule that censors ``text`` on the prober's platform.

    ``known`` are triggers found on this platform in the same pass, ``earlier`` ones found at
    another time; both are tried first, the earlier ones checked again (see
    :func:`~runners.isolation.search.isolate`). Raises :class:`IsolationError` when a probe ends in an
    error, a query is longer than the platform takes, or the re-check of the trigger is not
    censored, and :class:`~runners.isolation.search.BudgetExceeded` when more than ``budget`` queries
    (the re-check included) would be needed.
    """
    oracle = _PlatformOracle(prober)
    isolation = await isolate_async(text, oracle, budget=budget, known=known, earlier=earlier)
    name, separator = oracle.adapter.name, oracle.adapter.separator

    def result(queries: int) -> IsolationResult:
        trigger, reused = isolation.trigger, isolation.reused
        return IsolationResult(trigger, queries, name, separator, text, reused, oracle.signal)

    if isolation.trigger is None or isolation.reused or oracle.last == (isolation.trigger, True):
        return result(isolation.calls)  # not censored, or the trigger itself was asked
    if budget is not None and isolation.calls >= budget:
        raise BudgetExceeded(budget, isolation.calls)
    if not await oracle(isolation.trigger):
        query = Query.of(isolation.trigger, separator).text
        raise IsolationError(
            "inconsistent",
            query,
            "the trigger found is not censored when sent again: the platform answers "
            "inconsistently",
            oracle.calls,
        )
    return result(isolation.calls + 1)


def wants_isolation(observation: dict[str, Any]) -> bool:
    """A censored probe of a combination or of a long text."""
    if observation.get("role") != "probe" or observation.get("verdict") != "censored":
        return False
    term = observation.get("term") or {}
    return len(term.get("parts") or ()) > 1 or len(observation.get("query") or "") > LONG_TEXT


def _records_done(path: Path) -> list[dict[str, Any]]:
    """Isolations already written; a torn last line (a kill mid-write) is dropped."""
    if not path.exists():
        return []
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        data = data[: data.rfind(b"\n") + 1]
        path.write_bytes(data)
    return [json.loads(line) for line in data.splitlines() if line.strip()]


def _pending(folder: Path, done: set[str]) -> Iterator[dict[str, Any]]:
    for observation in iter_observations(folder):
        if wants_isolation(observation) and observation["key"] not in done:
            yield observation


def read_known(path: Path, platform: str) -> list[tuple[str, ...]]:
    """The triggers an ``isolations.jsonl`` holds for ``platform``, the last found first.

    Raises ``ValueError`` naming the file, line and field of a record that is not one; a torn
    last line (a kill mid-write) is left out.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: cannot read: {exc}") from None
    lines = text.split("\n")
    known = _KnownTriggers()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):  # no newline after it: torn
                break
            raise ValueError(f"{path}:{number}: not a JSON record") from None
        trigger = record.get("trigger") if isinstance(record, dict) else None
        valid = trigger is None or (
            isinstance(trigger, list) and all(isinstance(part, str) and part for part in trigger)
        )
        if not isinstance(record, dict) or not valid:
            raise ValueError(f"{path}:{number}: field 'trigger': not a list of keywords or null")
        if record.get("platform") == platform:
            known.add(trigger)
    return list(known)


class _KnownTriggers:
    """A platform's triggers found so far, the one that matched last first."""

    def __init__(self, triggers: Iterable[Sequence[str] | None] = ()) -> None:
        self._triggers: list[tuple[str, ...]] = []
        for trigger in triggers:
            self.add(trigger)

    def add(self, trigger: Sequence[str] | None) -> None:
        if trigger:
            found = tuple(trigger)
            if found in self._triggers:
                self._triggers.remove(found)
            self._triggers.insert(0, found)

    def __iter__(self) -> Iterator[tuple[str, ...]]:
        return iter(list(self._triggers))


async def isolate_snapshot(
    folder: Path, config: RunConfig, budget: int | None = None
) -> list[dict[str, Any]]:
    """Isolate every censored combination or long text of a finished snapshot.

    Appends ``{key, platform, query, trigger, queries, reused, signal, error}`` per isolation to
    ``folder/isolations.jsonl`` and returns the records written. Keys already in the file are
    skipped, so an interrupted pass resumes. An isolation that fails (an error answer, the
    budget) is recorded with ``trigger: null`` and its ``error``; the others go on. Triggers
    already found on a platform are tried first on its next texts: those of this pass as they
    are, those already in the file (an earlier pass) checked again.
    """
    path = folder / ISOLATIONS
    records = _records_done(path)
    done = {record["key"] for record in records}
    by_platform: dict[str, list[dict[str, Any]]] = {}
    for observation in _pending(folder, done):
        by_platform.setdefault(observation["platform"], []).append(observation)
    written: list[dict[str, Any]] = []
    with path.open("a", encoding="utf-8") as out:
        for platform, pending in by_platform.items():
            adapter = get_adapter(platform)(base_url=config.base_urls.get(platform))
            adapter.check_ready()
            earlier = tuple(
                _KnownTriggers(r["trigger"] for r in records if r["platform"] == platform)
            )
            known = _KnownTriggers()
            async with Prober(adapter, config, keep_exchanges=False) as prober:
                for observation in pending:
                    record = await _isolate_one(observation, prober, budget, known, earlier)
                    known.add(record["trigger"])
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    out.flush()
                    written.append(record)
    return written


async def _isolate_one(
    observation: dict[str, Any],
    prober: Prober,
    budget: int | None,
    known: _KnownTriggers,
    earlier: Sequence[tuple[str, ...]],
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "key": observation["key"],
        "platform": observation["platform"],
        "query": observation["query"],
        "trigger": None,
        "queries": 0,
        "reused": False,
        "signal": None,
        "error": None,
    }
    try:
        result = await isolate_text(
            observation["query"], prober, budget=budget, known=tuple(known), earlier=earlier
        )
    except IsolationError as exc:
        record.update(queries=exc.calls, error=str(exc))
    except BudgetExceeded as exc:
        record.update(queries=exc.calls, error=str(exc))
    else:
        record.update(
            trigger=list(result.trigger) if result.trigger is not None else None,
            queries=result.queries,
            reused=result.reused,
            signal=result.signal.value if result.signal else None,
        )
        if result.trigger is None:
            record["error"] = "not censored any more: the platform changed since the run"
    return record
