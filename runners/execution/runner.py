"""The runner: probes every planned term on every platform, paced, retried, judged, written.

One ``httpx.AsyncClient`` per platform owns all HTTP. Each platform runs as its own
pipeline: a control check opens the run, another follows every ``control_every`` finished
probes, and a last one closes it. A probe's outcome is final once the checks on both sides
of it have answered (:func:`runners.execution.controls.judge`); it is then written and flushed
together with its evidence.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from probes.contract import Adapter
from probes.outcome import Outcome
from runners.execution.confirmation import Confirmation, confirm, needs_confirmation
from runners.execution.controls import CheckResult, judge
from runners.execution.observation import build_observation
from runners.execution.prober import Attempted, Prober
from runners.plan.config import RunConfig
from runners.plan.planner import Plan, Probe
from snapshots.evidence import EvidenceRef, EvidenceWriter
from snapshots.format import EVIDENCE, TOOL, utc_now
from snapshots.writer import SnapshotWriter, new_run_id

__all__ = ["RunResult", "execute", "open_snapshot"]

ObservationHook = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class _Timed:
    """A probe's last attempt, with when it started and how long its attempts took.

    ``outcome`` is the probe's reading: its last attempt's, or what the confirmation of a
    silent signal made of it (``confirmation``).
    """

    result: Attempted
    started_at: str
    elapsed_ms: int
    outcome: Outcome
    confirmation: Confirmation | None = None


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


@dataclass
class _Context:
    config: RunConfig
    writer: SnapshotWriter
    evidence: EvidenceWriter | None
    on_observation: ObservationHook | None
    stop: asyncio.Event


class PlatformRun:
    """One platform's pipeline inside a run."""

    def __init__(
        self, ctx: _Context, adapter: Adapter, probes: Iterator[Probe], controls: Sequence[Probe]
    ) -> None:
        self.ctx = ctx
        self.adapter = adapter
        self.probes = probes
        self.controls = controls
        self.prober = Prober(
            adapter, ctx.config, keep_exchanges=ctx.evidence is not None, stop=ctx.stop
        )
        self.pending: list[_Finished] = []
        self.check_number = ctx.writer.last_check.get(adapter.name, 0)
        self.last_check: CheckResult | None = None
        self.check_task: asyncio.Task[None] | None = None
        self.finished_since_check = 0

    async def run(self) -> None:
        async with self.prober:
            await self._check()
            semaphore = asyncio.Semaphore(self.ctx.config.concurrency)
            tasks: set[asyncio.Task[None]] = set()
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

    async def _probe(self, probe: Probe, semaphore: asyncio.Semaphore) -> None:
        try:
            opening = self.last_check
            assert opening is not None
            timed = await self._timed(probe, confirming=True)
            self.pending.append(_Finished(probe, timed, time.monotonic(), opening))
            self.finished_since_check += 1
            if self.finished_since_check >= self.ctx.config.control_every and (
                self.check_task is None or self.check_task.done()
            ):
                self.finished_since_check = 0
                self.check_task = asyncio.create_task(self._check())
        finally:
            semaphore.release()

    async def _check(self) -> None:
        """Probe the controls, record them, and settle every probe this check closes."""
        started = time.monotonic()
        self.check_number += 1
        number = self.check_number
        answers = await asyncio.gather(*(self._timed(control) for control in self.controls))
        for control, timed in zip(self.controls, answers, strict=True):
            self._commit(control, timed, timed.outcome, check=number)
        check = CheckResult(number, tuple(timed.outcome for timed in answers))
        settled = [item for item in self.pending if item.ended <= started]
        self.pending = [item for item in self.pending if item.ended > started]
        for item in settled:
            final = judge(item.timed.outcome, item.opening, check)
            self._commit(item.probe, item.timed, final, window=(item.opening.number, number))
        self.last_check = check

    async def _timed(self, probe: Probe, *, confirming: bool = False) -> _Timed:
        """Probe; on a silent signal (``confirming``), confirm it before it counts."""
        started_at, begun = utc_now(), time.monotonic()
        result = await self.prober.probe(probe.query)
        elapsed_ms = int((time.monotonic() - begun) * 1000)
        outcome, confirmation = result.outcome, None
        if confirming and needs_confirmation(outcome) and not self.ctx.stop.is_set():
            outcome, confirmation = await confirm(
                self.prober, probe.query, outcome, reask_delay=self.ctx.config.reask_delay
            )
        return _Timed(result, started_at, elapsed_ms, outcome, confirmation)

    def _commit(
        self,
        probe: Probe,
        timed: _Timed,
        outcome: Outcome,
        *,
        check: int | None = None,
        window: tuple[int, int] | None = None,
    ) -> None:
        ctx = self.ctx
        result = timed.result
        ref = self._evidence(result, probe.key)
        confirmation = None
        if timed.confirmation is not None:
            refs = [
                self._evidence(check.result, check.key(probe.key))
                for check in timed.confirmation.probes
            ]
            confirmation = timed.confirmation.to_json(
                probe.key, [r.to_json() if r else None for r in refs]
            )
        observation = build_observation(
            ctx.writer.manifest["run_id"],
            probe,
            self.adapter.version,
            started_at=timed.started_at,
            elapsed_ms=timed.elapsed_ms,
            attempts=result.attempts,
            request={"method": result.method, "url": result.url, "status": result.status},
            outcome=outcome.to_json(),
            evidence=ref.to_json() if ref else None,
            check=check,
            window=window,
            confirmation=confirmation,
        )
        ctx.writer.append(observation)
        if ctx.on_observation is not None:
            ctx.on_observation(observation)

    def _evidence(self, result: Attempted, key: str) -> EvidenceRef | None:
        if self.ctx.evidence is None or result.exchange is None:
            return None
        return self.ctx.evidence.write(result.exchange, key)


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
        "endpoints": {name: adapter.base_url for name, adapter in plan.adapters.items()},
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


async def execute(
    plan: Plan,
    results: Path,
    *,
    run_id: str | None = None,
    resume: bool = False,
    on_observation: ObservationHook | None = None,
    stop: asyncio.Event | None = None,
    manifest_extra: dict[str, Any] | None = None,
) -> RunResult:
    """Run (or resume) the plan into ``results/<run-id>/``. Never raises for what a platform does.

    ``manifest_extra`` goes into a new run's manifest (a profile's run records its profile).
    """
    writer, evidence = open_snapshot(plan, results, run_id, resume, manifest_extra)
    config = plan.config
    ctx = _Context(config, writer, evidence, on_observation, stop or asyncio.Event())
    runs = [
        PlatformRun(ctx, adapter, plan.probes(name, writer.done), plan.controls(name))
        for name, adapter in plan.adapters.items()
    ]
    status = "interrupted"
    try:
        await asyncio.gather(*(run.run() for run in runs))
        status = "interrupted" if ctx.stop.is_set() else "complete"
    finally:
        if evidence is not None:
            evidence.close()
        writer.finish(status)
    return RunResult(writer.manifest["run_id"], writer.folder, status, writer.manifest["counts"])


def _check_same_lists(plan: Plan, manifest: dict[str, Any]) -> None:
    before = {entry["id"]: entry["sha256"] for entry in manifest.get("lists", [])}
    now = {loaded.content.id: loaded.sha256 for loaded in plan.lists}
    if before != now:
        raise ValueError(
            "the keyword lists changed since this run started; resume with the same lists or start a new run"
        )
