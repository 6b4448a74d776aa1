"""The runner: probes every planned term on every platform, paced, retried, judged, written.

One :class:`~runners.execution.prober.Prober` per platform owns all HTTP. Each platform runs as its own
pipeline: a control check opens the run, another follows every ``control_every`` finished
probes, and a last one closes it. A probe's outcome is final once the checks on both sides
of it have answered (:func:`runners.execution.controls.judge`); it is then written and flushed
together with its evidence.

What a run never writes (docs/architecture.md, "The snapshot"):

- a probe that was not finished when the run was told to stop: one whose last attempt
  failed with retries left, or whose silent signal was not confirmed yet, and every probe
  whose closing check was cut short that way. ``--resume`` asks them again;
- anything after the first control check of a platform got no answer at all (every control
  ``timeout``, ``network`` or ``http_status``: ``CheckResult.unanswered``): the platform is
  not probed (``aborted``), the run ends ``interrupted``, and a resume tries again;
- anything once a write failed (a full disk): the run stops at once, marks itself
  ``interrupted`` if it still can, and raises :class:`SnapshotWriteError`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from probes.contract import Adapter
from probes.outcome import Outcome, Verdict
from runners.execution.confirmation import Confirmation, confirm, needs_confirmation
from runners.execution.controls import CheckResult, judge
from runners.execution.observation import ObservationSink, Observed
from runners.execution.prober import Attempted, Prober
from runners.execution.progress import RunWatcher
from runners.plan.conduct import check_conduct
from runners.plan.config import RunConfig
from runners.plan.planner import Plan, Probe
from snapshots.evidence import EvidenceWriter
from snapshots.format import EVIDENCE, TOOL, utc_now
from snapshots.writer import SnapshotWriteError, SnapshotWriter, new_run_id

__all__ = ["RunResult", "execute", "open_snapshot", "reask_errors"]


@dataclass(frozen=True)
class _Timed:
    """A probe's last attempt, with when it started and how long its attempts took.

    ``outcome`` is the probe's reading: its last attempt's, or what the confirmation of a
    silent signal made of it (``confirmation``). ``finished`` is false for a probe the
    run's stop cut short: it is not written.
    """

    result: Attempted
    started_at: str
    elapsed_ms: int
    outcome: Outcome
    confirmation: Confirmation | None = None
    finished: bool = True


@dataclass(frozen=True)
class _Finished:
    """A probe waiting for the check that closes its window."""

    probe: Probe
    timed: _Timed
    ended: float
    opening: CheckResult


@dataclass
class RunResult:
    run_id: str
    folder: Path
    status: str
    counts: dict[str, Any]
    #: platform -> why it was not probed (its first control check got no answer)
    aborted: dict[str, str] = field(default_factory=dict)


@dataclass
class _Context:
    config: RunConfig
    sink: ObservationSink
    stop: asyncio.Event
    watcher: RunWatcher
    failure: SnapshotWriteError | None = None
    #: Cancels every platform's pipeline (set by :func:`execute`).
    abort: Callable[[], object] = lambda: None

    def failed(self, error: SnapshotWriteError) -> None:
        """A write failed: stop everything now."""
        if self.failure is None:
            self.failure = error
        self.stop.set()
        self.abort()


class PlatformRun:
    """One platform's pipeline inside a run."""

    def __init__(
        self,
        ctx: _Context,
        adapter: Adapter,
        probes: Iterator[Probe],
        controls: Sequence[Probe],
        last_check: int,
    ) -> None:
        self.ctx = ctx
        self.adapter = adapter
        self.probes = probes
        self.controls = controls
        self.prober = Prober(
            adapter, ctx.config, keep_exchanges=ctx.sink.evidence is not None, stop=ctx.stop
        )
        self.pending: list[_Finished] = []
        self.check_number = last_check
        self.last_check: CheckResult | None = None
        self.check_task: asyncio.Task[CheckResult | None] | None = None
        self.finished_since_check = 0
        self.aborted: str | None = None

    async def run(self) -> None:
        tasks: set[asyncio.Task[None]] = set()
        try:
            async with self.prober:
                first = await self._check()
                if first is not None and first.unanswered:
                    self.aborted = (
                        f"{first.reason}: no answer from {self.adapter.base_url}; "
                        "nothing was probed"
                    )
                    return
                semaphore = asyncio.Semaphore(self.ctx.config.concurrency)
                for probe in self.probes:
                    await semaphore.acquire()
                    if self.ctx.stop.is_set():
                        semaphore.release()
                        break
                    task = asyncio.create_task(self._probe(probe, semaphore))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)
                if tasks:
                    await asyncio.gather(*tasks)
                if self.check_task is not None:
                    await self.check_task
                await self._check()
        finally:
            for task in tasks:
                task.cancel()
            if self.check_task is not None:
                self.check_task.cancel()

    async def _probe(self, probe: Probe, semaphore: asyncio.Semaphore) -> None:
        try:
            opening = self.last_check
            assert opening is not None
            self.ctx.watcher.sent(self.adapter.name)
            timed = await self._timed(probe, confirming=True)
            if not timed.finished:
                return
            self.ctx.watcher.answered(self.adapter.name)
            self.pending.append(_Finished(probe, timed, time.monotonic(), opening))
            self.finished_since_check += 1
            if self.finished_since_check >= self.ctx.config.control_every and (
                self.check_task is None or self.check_task.done()
            ):
                self.finished_since_check = 0
                self.check_task = asyncio.create_task(self._check())
        finally:
            semaphore.release()

    async def _check(self) -> CheckResult | None:
        """Probe the controls, record them, and settle every probe this check closes.

        None when the run's stop cut a control short: nothing is written, and the probes
        waiting for this check stay unwritten (a resume asks them again).
        """
        started = time.monotonic()
        self.check_number += 1
        number = self.check_number
        answers = await asyncio.gather(*(self._timed(control) for control in self.controls))
        if not all(timed.finished for timed in answers):
            return None
        for control, timed in zip(self.controls, answers, strict=True):
            self._commit(control, timed, timed.outcome, check=number)
        check = CheckResult(number, tuple(timed.outcome for timed in answers))
        settled = [item for item in self.pending if item.ended <= started]
        self.pending = [item for item in self.pending if item.ended > started]
        for item in settled:
            final = judge(item.timed.outcome, item.opening, check)
            self._commit(item.probe, item.timed, final, window=(item.opening.number, number))
        self.last_check = check
        return check

    def _cut_short(self, result: Attempted) -> bool:
        """The run's stop ended this probe's retries before they ran out."""
        outcome = result.outcome
        return (
            self.ctx.stop.is_set()
            and outcome.verdict is Verdict.ERROR
            and outcome.retryable
            and result.attempts < self.ctx.config.max_attempts
        )

    async def _timed(self, probe: Probe, *, confirming: bool = False) -> _Timed:
        """Probe; on a silent signal (``confirming``), confirm it before it counts."""
        started_at, begun = utc_now(), time.monotonic()
        result = await self.prober.probe(probe.query)
        elapsed_ms = int((time.monotonic() - begun) * 1000)
        outcome, confirmation = result.outcome, None
        finished = not self._cut_short(result)
        if finished and confirming and needs_confirmation(outcome):
            if self.ctx.stop.is_set():
                finished = False
            else:
                outcome, confirmation = await confirm(
                    self.prober, probe.query, outcome, reask_delay=self.ctx.config.reask_delay
                )
                finished = not any(self._cut_short(check.result) for check in confirmation.probes)
        return _Timed(result, started_at, elapsed_ms, outcome, confirmation, finished)

    def _commit(
        self,
        probe: Probe,
        timed: _Timed,
        outcome: Outcome,
        *,
        check: int | None = None,
        window: tuple[int, int] | None = None,
    ) -> None:
        if self.ctx.failure is not None:
            return
        result = timed.result
        try:
            self.ctx.sink.commit(
                Observed(
                    probe,
                    self.adapter.version,
                    started_at=timed.started_at,
                    elapsed_ms=timed.elapsed_ms,
                    attempts=result.attempts,
                    request={"method": result.method, "url": result.url, "status": result.status},
                    outcome=outcome.to_json(),
                    exchange=result.exchange,
                    check=check,
                    window=window,
                    confirmation=timed.confirmation,
                )
            )
        except SnapshotWriteError as exc:
            self.ctx.failed(exc)


def _manifest(plan: Plan) -> dict[str, Any]:
    return {
        "tool": TOOL,
        "adapters": {name: adapter.version for name, adapter in plan.adapters.items()},
        **_settings(plan),
        "lists": [
            {"id": loaded.content.id, "path": str(loaded.path), "sha256": loaded.sha256}
            for loaded in plan.lists
        ],
        "vantage": plan.config.vantage,
        "shard": plan.config.shard,
    }


def _settings(plan: Plan) -> dict[str, Any]:
    """What a resume may change: the endpoints and the config, as the manifest keeps them."""
    return {
        "endpoints": {
            name: plan.config.redact(adapter.base_url) for name, adapter in plan.adapters.items()
        },
        "config": plan.config.public(),
    }


def _resumed(plan: Plan, manifest: dict[str, Any]) -> dict[str, Any]:
    """The manifest fields a resume of ``plan`` changes; refuses other keyword lists."""
    _check_same_lists(plan, manifest)
    now = _settings(plan)
    config = now["config"]
    stored = manifest.get("config") or {}
    changed = {name: value for name, value in config.items() if stored.get(name) != value}
    endpoints = {
        name: url
        for name, url in now["endpoints"].items()
        if (manifest.get("endpoints") or {}).get(name) != url
    }
    if not changed and not endpoints:
        return {}
    change = {"at": utc_now(), "config": changed, "endpoints": endpoints}
    return {**now, "changes": [*manifest.get("changes", []), change]}


def open_snapshot(
    plan: Plan,
    results: Path,
    run_id: str | None,
    resume: bool,
    manifest_extra: dict[str, Any] | None = None,
    *,
    reask: Callable[[dict[str, Any]], bool] | None = None,
) -> tuple[SnapshotWriter, EvidenceWriter | None]:
    """Create (or reopen, checking the lists are unchanged) a run's snapshot and its WARC.

    A resume that changes the endpoints or the config (a new ``--base-url`` ...) records the
    change in the manifest's ``changes``. ``reask``: see :meth:`SnapshotWriter.reopen`.
    """
    check_conduct(plan.config, plan.adapters)
    results.mkdir(parents=True, exist_ok=True)
    if resume:
        assert run_id is not None
        writer = SnapshotWriter.reopen(
            results, run_id, update=lambda manifest: _resumed(plan, manifest), reask=reask
        )
    else:
        manifest = {**_manifest(plan), **(manifest_extra or {})}
        writer = SnapshotWriter.create(results, run_id or new_run_id(), manifest)
    try:
        evidence = (
            EvidenceWriter(
                writer.folder / EVIDENCE, truncate_at=writer.evidence_end if resume else None
            )
            if plan.config.evidence
            else None
        )
    except BaseException:
        writer.close()
        raise
    return writer, evidence


def reask_errors(kinds: Collection[str] | None = None) -> Callable[[dict[str, Any]], bool]:
    """Which observations ``--retry-errors`` asks again: errors (of ``kinds``, if given)."""
    wanted = None if kinds is None else frozenset(kinds)

    def pick(observation: dict[str, Any]) -> bool:
        if observation.get("verdict") != "error":
            return False
        return wanted is None or (observation.get("error") or {}).get("kind") in wanted

    return pick


async def execute(
    plan: Plan,
    results: Path,
    *,
    run_id: str | None = None,
    resume: bool = False,
    watcher: RunWatcher | None = None,
    stop: asyncio.Event | None = None,
    manifest_extra: dict[str, Any] | None = None,
    reask: Callable[[dict[str, Any]], bool] | None = None,
) -> RunResult:
    """Run (or resume) the plan into ``results/<run-id>/``. Never raises for what a platform
    does; raises :class:`SnapshotWriteError` when the snapshot cannot be written.

    ``manifest_extra`` goes into a new run's manifest (a profile's run records its profile).
    ``reask`` (with ``resume``) picks observations to ask again (:func:`reask_errors`).
    ``watcher`` is told of each probe sent, answered and committed (a progress view).
    """
    writer, evidence = open_snapshot(plan, results, run_id, resume, manifest_extra, reask=reask)
    watcher = watcher or RunWatcher()
    ctx = _Context(
        plan.config,
        ObservationSink(writer, evidence, watcher.committed),
        stop or asyncio.Event(),
        watcher,
    )
    runs = [
        PlatformRun(
            ctx,
            adapter,
            plan.probes(name, writer.done),
            plan.controls(name),
            writer.last_check.get(name, 0),
        )
        for name, adapter in plan.adapters.items()
    ]
    status = "interrupted"
    pipelines = asyncio.gather(*(run.run() for run in runs))
    ctx.abort = pipelines.cancel
    try:
        try:
            await pipelines
        except asyncio.CancelledError:
            if ctx.failure is None:
                raise
        aborted = any(run.aborted for run in runs)
        if ctx.failure is None and not ctx.stop.is_set() and not aborted:
            status = "complete"
    finally:
        if evidence is not None:
            with contextlib.suppress(OSError):  # what it could not write is cut off on resume
                evidence.close()
            if ctx.failure is not None:  # free what the failed write took: room for the manifest
                with contextlib.suppress(OSError):
                    os.truncate(evidence.path, writer.evidence_end)
        try:
            writer.finish(status)
        except SnapshotWriteError as exc:
            if ctx.failure is None:
                ctx.failure = exc
            marked = False
        else:
            marked = True
    run_id = writer.manifest["run_id"]
    if ctx.failure is not None:
        state = "marked interrupted" if marked else "left running"
        raise SnapshotWriteError(
            f"{ctx.failure}; run {run_id} stopped at once ({state}): "
            f"make room, then resume it with --resume {run_id}"
        )
    aborted_runs = {run.adapter.name: run.aborted for run in runs if run.aborted}
    return RunResult(run_id, writer.folder, status, writer.manifest["counts"], aborted_runs)


def _check_same_lists(plan: Plan, manifest: dict[str, Any]) -> None:
    before = {entry["id"]: entry["sha256"] for entry in manifest.get("lists", [])}
    now = {loaded.content.id: loaded.sha256 for loaded in plan.lists}
    if before != now:
        raise ValueError(
            "the keyword lists changed since this run started; resume with the same lists or start a new run"
        )
