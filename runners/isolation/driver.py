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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from probes.contract import Adapter, Query
from probes.outcome import SILENT_SIGNALS, Outcome, Signal, Verdict
from probes.registry import get_adapter
from runners.execution.prober import Attempted, Prober
from runners.isolation.priors import Priors
from runners.isolation.search import BudgetExceeded, Isolation, isolate_async
from runners.isolation.windows import Spread, isolate_windows
from runners.plan.config import RunConfig
from snapshots.format import ISOLATIONS, iter_observations

__all__ = [
    "ISOLATIONS",
    "LONG_TEXT",
    "IsolationError",
    "IsolationResult",
    "isolate_snapshot",
    "isolate_text",
    "Judged",
    "Progress",
    "isolate_declared",
    "read_known",
    "read_priors",
    "wants_isolation",
]

#: A censored text longer than this (in characters) is worth isolating even as one keyword.
LONG_TEXT = 12
_NOTICES = (Signal.NOTICE, Signal.PARTIAL_NOTICE)


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
    (the re-check and a truism's control included); ``signal`` is how the text itself is
    censored, the one signal the isolation counted as censored; ``judged`` how each query was
    judged (:class:`Judged`); ``declared``: the parts of a declared combination, minimal as
    parts and not cut further."""

    trigger: tuple[str, ...] | None
    queries: int
    platform: str
    separator: str
    text: str
    reused: bool = False
    signal: Signal | None = None
    judged: Judged = field(default_factory=lambda: Judged.NOTICE)
    declared: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "trigger": list(self.trigger) if self.trigger is not None else None,
            "queries": self.queries,
            "reused": self.reused,
            "signal": self.signal.value if self.signal else None,
            "platform": self.platform,
            "text_length": len(self.text),
            "judged": self.judged.value,
            "declared": self.declared,
        }


Progress = Callable[[int, int | None], None]
"""``progress(queries_sent, budget)``, called after each query an isolation sends."""


class Judged(StrEnum):
    """How the isolation's queries were judged censored."""

    NOTICE = "notice"  # the platform said so: exact
    TRUISM = "truism"  # a silent signal, each query asked inside the platform's truism: exact
    SUSPECTED = "suspected"  # a silent signal and no truism: an empty answer may be rarity


class _PlatformOracle:
    """Whether a query is censored, asked as a real probe, counted, remembered.

    Censored means censored the way the text itself is (the signal of the first censored
    answer): a shorter query showing another rule's notice, or a long odd one finding nothing,
    is not the rule being isolated. When that signal is silent (``zero_results``, ``soft``) and
    the platform has a truism, every query is asked inside it (``docs/architecture.md``,
    Verdicts): term + truism finding nothing while the truism alone finds results is censored,
    finding results is not; the truism alone is asked once, and the first answer again inside
    it. Without a truism the isolation is :attr:`Judged.SUSPECTED`.
    """

    def __init__(
        self, prober: Prober, budget: int | None = None, progress: Progress | None = None
    ) -> None:
        self.prober = prober
        self.adapter: Adapter = prober.adapter
        self.budget = budget
        self.progress = progress
        self.calls = 0
        self.signal: Signal | None = None
        self.judged = Judged.NOTICE
        self.last: tuple[tuple[str, ...], bool] | None = None
        self._answers: dict[tuple[str, ...], bool] = {}

    async def __call__(self, fragments: Sequence[str]) -> bool:
        parts = tuple(fragments)
        if parts in self._answers:
            return self._answers[parts]
        query = Query.of(parts, self.adapter.separator)
        hit = await self._ask(query)
        self._answers[parts] = hit
        self.last = (parts, hit)
        return hit

    async def _ask(self, query: Query) -> bool:
        if self.judged is Judged.TRUISM:
            wrapped = self.adapter.truism(query)
            if wrapped is None:
                raise IsolationError(
                    "no_truism",
                    query.text[:60],
                    f"{self.adapter.name} has no truism for this query: a silent answer to it "
                    "would say nothing",
                    self.calls,
                )
            outcome = (await self._send(wrapped, query)).outcome
            return not _found(outcome) and outcome.signal not in _NOTICES  # a notice: another rule
        outcome = (await self._send(query, query)).outcome
        censored = outcome.verdict is Verdict.CENSORED
        if censored and self.signal is None:
            await self.expect(outcome.signal, query)
            if self.judged is Judged.TRUISM:
                return await self._ask(query)
        return censored and outcome.signal is self.signal

    async def expect(self, signal: Signal | None, query: Query) -> None:
        """The text is censored with ``signal``; when it is silent, ask inside the truism from
        now on (the truism alone is asked once: it must find results)."""
        self.signal = signal
        if signal not in SILENT_SIGNALS:
            return
        alone = self.adapter.truism(None)
        if alone is None or self.adapter.truism(query) is None:
            self.judged = Judged.SUSPECTED
            return
        if not _found((await self._send(alone, alone)).outcome):
            raise IsolationError(
                "controls_failed",
                alone.text,
                "the truism alone found nothing: silent answers cannot be told from rare ones",
                self.calls,
            )
        self.judged = Judged.TRUISM

    async def _send(self, sent: Query, query: Query) -> Attempted:
        limit = self.adapter.max_query_length
        if limit is not None and len(sent.text) > limit:
            raise IsolationError(
                "too_long",
                query.text[:60],
                f"{len(sent.text)} characters, but {self.adapter.name} takes at most {limit}",
                self.calls,
            )
        if self.budget is not None and self.calls >= self.budget:
            raise BudgetExceeded(self.budget, self.calls)
        self.calls += 1
        attempted = await self.prober.probe(sent)
        if self.progress is not None:
            self.progress(self.calls, self.budget)
        outcome = attempted.outcome
        if outcome.verdict is Verdict.ERROR:
            kind = outcome.error.value if outcome.error else "error"
            raise IsolationError(kind, sent.text, outcome.detail, self.calls)
        return attempted


def _found(outcome: Outcome) -> bool:
    """The platform showed results for the query, and did not hide them."""
    return outcome.verdict is Verdict.VISIBLE and bool(outcome.result_count or outcome.items)


async def isolate_text(
    text: str,
    prober: Prober,
    *,
    budget: int | None = None,
    known: Sequence[tuple[str, ...]] = (),
    earlier: Sequence[tuple[str, ...]] = (),
    priors: Priors | None = None,
    progress: Progress | None = None,
) -> IsolationResult:
    """Isolate the rule that censors ``text`` on the prober's platform.

    ``known`` are triggers found on this platform in the same pass, ``earlier`` ones found at
    another time; both are tried first, the earlier ones checked again (see
    :func:`~runners.isolation.search.isolate`). ``priors`` weigh where the search asks. A text
    longer than the platform takes (``max_query_length``) is isolated by windows
    (:mod:`runners.isolation.windows`). Raises :class:`IsolationError` when a probe ends in an
    error or the re-check of the trigger is not censored, and
    :class:`~runners.isolation.search.BudgetExceeded` when more than ``budget`` queries (the
    re-check included) would be needed. ``progress`` is told of every query sent.
    """
    oracle = _PlatformOracle(prober, budget, progress)
    limit = oracle.adapter.max_query_length
    if limit is not None and len(text) > limit:
        try:
            isolation = await isolate_windows(
                text,
                oracle,
                limit=limit,
                separator=oracle.adapter.separator,
                priors=priors,
                known=known,
                earlier=earlier,
            )
        except Spread as exc:
            raise IsolationError("spread", text[:60], str(exc), oracle.calls) from None
    else:
        isolation = await isolate_async(text, oracle, known=known, earlier=earlier, priors=priors)
    return await _rechecked(isolation, oracle, text)


async def _rechecked(isolation: Isolation, oracle: _PlatformOracle, text: str) -> IsolationResult:
    """The result, once the trigger was sent on its own (unless it was the last query)."""
    name, separator = oracle.adapter.name, oracle.adapter.separator

    def result() -> IsolationResult:
        trigger, reused = isolation.trigger, isolation.reused
        return IsolationResult(
            trigger, oracle.calls, name, separator, text, reused, oracle.signal, oracle.judged
        )

    if isolation.trigger is None or isolation.reused or oracle.last == (isolation.trigger, True):
        return result()  # not censored, or the trigger itself was asked
    oracle._answers.pop(isolation.trigger, None)  # asked again, for real
    if not await oracle(isolation.trigger):
        query = Query.of(isolation.trigger, separator).text
        raise IsolationError(
            "inconsistent",
            query,
            "the trigger found is not censored when sent again: the platform answers "
            "inconsistently",
            oracle.calls,
        )
    return result()


async def isolate_declared(
    parts: Sequence[str],
    prober: Prober,
    *,
    budget: int | None = None,
    signal: Signal | None = None,
    known: Sequence[tuple[str, ...]] = (),
    trim: bool = False,
    progress: Progress | None = None,
) -> IsolationResult:
    """The minimal trigger among the declared ``parts`` of a combination found censored (with
    ``signal``).

    The combination itself was censored (its observation), so it is not asked again: each part
    is dropped in turn, at most one query per part, and kept only when the rest is no longer
    censored (fewer parts never censor more, so one pass leaves a minimal set). A trigger of
    ``known`` made of declared parts is asked first. With ``trim``, the parts kept are then
    isolated character by character (:func:`isolate_text` on them).
    """
    oracle = _PlatformOracle(prober, budget, progress)
    joined = oracle.adapter.separator.join(parts)
    for trigger in known:
        if all(any(t in part for part in parts) for t in trigger) and await oracle(trigger):
            return await _rechecked(Isolation(trigger, oracle.calls, True), oracle, joined)
    kept = list(dict.fromkeys(part for part in parts if part))
    oracle._answers[tuple(kept)] = True  # the run's observation
    await oracle.expect(signal, Query.of(tuple(kept), oracle.adapter.separator))
    for part in list(kept):
        if len(kept) > 1 and await oracle(tuple(other for other in kept if other != part)):
            kept.remove(part)
    if trim:
        inner = await isolate_async(oracle.adapter.separator.join(kept), oracle)
        return await _rechecked(inner, oracle, joined)
    trigger = tuple(kept)
    return IsolationResult(
        trigger,
        oracle.calls,
        oracle.adapter.name,
        oracle.adapter.separator,
        joined,
        False,
        oracle.signal,
        oracle.judged,
        declared=True,
    )


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


def read_priors(paths: Sequence[Path], platform: str) -> Priors:
    """Priors from the rule lists a user has: Citizen Lab rule lists (``*.txt``, one rule a line,
    `` + `` between parts), keyword lists (``*.yaml``: their terms' parts) and isolations
    (``*.jsonl``: the triggers found on ``platform``, learnt as the platform's own).

    Raises ``ValueError`` naming the file (and line) of what cannot be read.
    """
    from runners.keywords.lists import load_lists

    priors = Priors()
    for path in paths:
        if path.suffix == ".jsonl":
            for trigger in read_known(path, platform):
                priors.learn(trigger)
        elif path.suffix in (".yaml", ".yml"):
            for loaded in load_lists([path]):
                for term in loaded.content.terms:
                    priors.add(term.parts)
        else:
            try:
                lines = path.read_text(encoding="utf-8-sig").splitlines()
            except (OSError, UnicodeDecodeError) as exc:
                raise ValueError(f"{path}: cannot read: {exc}") from None
            for line in lines:
                priors.add(tuple(part.strip() for part in line.split(" + ")))
    return priors


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
    folder: Path,
    config: RunConfig,
    budget: int | None = None,
    *,
    priors: Priors | None = None,
    trim: bool = False,
    progress: Callable[[str, int, int | None], None] | None = None,
) -> list[dict[str, Any]]:
    """Isolate every censored combination or long text of a finished snapshot.

    Appends ``{key, platform, query, trigger, queries, reused, signal, judged, declared,
    error}`` per isolation to ``folder/isolations.jsonl`` and returns the records written. Keys
    already in the file are skipped, so an interrupted pass resumes. An isolation that fails (an
    error answer, the budget) is recorded with ``trigger: null`` and its ``error``; the others
    go on. Triggers already found on a platform are tried first on its next texts: those of
    this pass as they are, those already in the file (an earlier pass) checked again. A
    declared combination (``all: [...]``) costs at most a query per part
    (:func:`isolate_declared`; ``trim`` cuts its parts further). The search is weighed by
    ``priors`` (default: the terms of the run's lists), learning each trigger found;
    ``progress(key, queries, budget)`` is told of every query.
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
            learnt = _platform_priors(priors, folder, earlier)
            known = _KnownTriggers()
            async with Prober(adapter, config, keep_exchanges=False) as prober:
                for observation in pending:
                    told = _told(progress, observation["key"])
                    job = _Job(prober, budget, tuple(known), earlier, learnt, trim, told)
                    record = await _isolate_one(observation, job)
                    known.add(record["trigger"])
                    if record["trigger"]:
                        learnt.learn(record["trigger"])
                    out.write(json.dumps(record, ensure_ascii=False) + "\n")
                    out.flush()
                    written.append(record)
    return written


def _told(progress: Callable[[str, int, int | None], None] | None, key: str) -> Progress | None:
    if progress is None:
        return None
    return lambda queries, budget: progress(key, queries, budget)


def _platform_priors(
    given: Priors | None, folder: Path, earlier: Sequence[tuple[str, ...]]
) -> Priors:
    """A platform's priors: those given (or the terms the run probed), and its earlier triggers."""
    priors = given.copy() if given is not None else Priors.from_rules(_probed_rules(folder))
    for trigger in earlier:
        priors.learn(trigger)
    return priors


def _probed_rules(folder: Path) -> Iterator[tuple[str, ...]]:
    """The parts of each term the run probed, once each."""
    seen: set[tuple[str, ...]] = set()
    for observation in iter_observations(folder):
        parts = tuple((observation.get("term") or {}).get("parts") or ())
        if observation.get("role") == "probe" and parts and parts not in seen:
            seen.add(parts)
            yield parts


@dataclass(frozen=True)
class _Job:
    prober: Prober
    budget: int | None
    known: tuple[tuple[str, ...], ...]
    earlier: Sequence[tuple[str, ...]]
    priors: Priors
    trim: bool
    progress: Progress | None


async def _isolate_one(observation: dict[str, Any], job: _Job) -> dict[str, Any]:
    record: dict[str, Any] = {
        "key": observation["key"],
        "platform": observation["platform"],
        "query": observation["query"],
        "trigger": None,
        "queries": 0,
        "reused": False,
        "signal": None,
        "judged": None,
        "declared": False,
        "error": None,
    }
    parts = tuple((observation.get("term") or {}).get("parts") or ())
    signal = observation.get("signal")
    try:
        if len(parts) > 1 and job.prober.adapter.separator.join(parts) == observation["query"]:
            result = await isolate_declared(
                parts,
                job.prober,
                budget=job.budget,
                signal=Signal(signal) if signal in set(Signal) else None,
                known=job.known,
                trim=job.trim,
                progress=job.progress,
            )
        else:
            result = await isolate_text(
                observation["query"],
                job.prober,
                budget=job.budget,
                known=job.known,
                earlier=job.earlier,
                priors=job.priors,
                progress=job.progress,
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
            judged=result.judged.value,
            declared=result.declared,
        )
        if result.trigger is None:
            record["error"] = "not censored any more: the platform changed since the run"
    return record
