"""The runner: probes every planned term on every platform, paced, retried, judged, written.

One ``httpx.AsyncClient`` per platform owns all HTTP. Each platform runs as its own
pipeline: a control check opens the run, another follows every ``control_every`` finished
probes, and a last one closes it. A probe's outcome is final once the checks on both sides
of it have answered (:func:`runners.controls.judge`); it is then written and flushed
together with its evidence.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx
from tenacity import AsyncRetrying, RetryCallState, retry_if_result, stop_after_attempt

from probes.contract import Adapter
from probes.outcome import ErrorKind, Outcome
from probes.registry import get_adapter

from .config import RunConfig
from .controls import CheckResult, judge
from .evidence import EvidenceRef, EvidenceWriter, Exchange, Redactor
from .keywords import LoadedList, load_lists
from .pacing import TokenBucket
from .plan import Probe, Shard, plan_controls, plan_probes
from .snapshot import EVIDENCE, SCHEMA, SnapshotWriter, new_run_id, utc_now

__all__ = ["NoControlsError", "RunResult", "prepare", "execute"]

ObservationHook = Callable[[dict[str, Any]], None]
_MAX_ITEMS = 5
TOOL_VERSION = "0.1.0"


class NoControlsError(ValueError):
    pass


@dataclass(frozen=True)
class Attempted:
    """What the last attempt of a probe produced."""

    outcome: Outcome
    exchange: Exchange | None
    method: str
    url: str
    status: int | None


@dataclass
class _Finished:
    probe: Probe
    result: Attempted
    attempts: int
    started_at: str
    elapsed_ms: int
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
    redactor: Redactor
    on_observation: ObservationHook | None
    stop: asyncio.Event


def prepare(config: RunConfig) -> tuple[list[LoadedList], dict[str, Adapter]]:
    """Everything that can fail before a request is sent: lists, adapters, credentials."""
    lists = load_lists(config.lists)
    if not any(loaded.content.controls for loaded in lists):
        raise NoControlsError(
            "no control terms in any list: add a `controls:` section (benign terms that must be "
            "visible) so that zero results and notices can be told from a broken platform"
        )
    adapters: dict[str, Adapter] = {}
    for platform in config.platforms:
        adapter = get_adapter(platform)(base_url=config.base_urls.get(platform))
        adapter.check_ready()
        adapters[platform] = adapter
    return lists, adapters


def _retry_after_seconds(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class PlatformRun:
    """One platform's pipeline inside a run."""

    def __init__(
        self, ctx: _Context, adapter: Adapter, probes: Iterator[Probe], controls: Sequence[Probe]
    ) -> None:
        self.ctx = ctx
        self.adapter = adapter
        self.probes = probes
        self.controls = controls
        config = ctx.config
        pacing = adapter.pacing
        self.bucket = TokenBucket(
            pacing.rate if config.rate is None else config.rate,
            pacing.burst if config.burst is None else config.burst,
        )
        self.pending: list[_Finished] = []
        self.check_number = ctx.writer.last_check.get(adapter.name, 0)
        self.last_check: CheckResult | None = None
        self.check_task: asyncio.Task[None] | None = None
        self.finished_since_check = 0
        self.run_headers = {"User-Agent": config.user_agent, **config.headers}

    def _client(self) -> httpx.AsyncClient:
        config = self.ctx.config
        return httpx.AsyncClient(
            timeout=config.timeout,
            follow_redirects=True,
            proxy=config.proxy,
            limits=httpx.Limits(max_connections=config.concurrency + 2),
        )

    async def run(self) -> None:
        async with self._client() as self.client:
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
            result, attempts, started_at, elapsed = await self._timed(probe)
            self.pending.append(
                _Finished(probe, result, attempts, started_at, elapsed, time.monotonic(), opening)
            )
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
        for control, (result, attempts, started_at, elapsed) in zip(
            self.controls, answers, strict=True
        ):
            self._commit(
                control, result, result.outcome, attempts, started_at, elapsed, check=number
            )
        check = CheckResult(number, tuple(result.outcome for result, *_ in answers))
        settled = [item for item in self.pending if item.ended <= started]
        self.pending = [item for item in self.pending if item.ended > started]
        for item in settled:
            final = judge(item.result.outcome, item.opening, check)
            self._commit(
                item.probe,
                item.result,
                final,
                item.attempts,
                item.started_at,
                item.elapsed_ms,
                window=(item.opening.number, number),
            )
        self.last_check = check

    async def _timed(self, probe: Probe) -> tuple[Attempted, int, str, int]:
        started_at, begun = utc_now(), time.monotonic()
        result, attempts = await self._attempt(probe)
        return result, attempts, started_at, int((time.monotonic() - begun) * 1000)

    async def _attempt(self, probe: Probe) -> tuple[Attempted, int]:
        config = self.ctx.config
        retrying = AsyncRetrying(
            stop=stop_after_attempt(config.max_attempts),
            wait=self._wait,
            retry=retry_if_result(self._worth_retrying),
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
        )
        result: Attempted = await retrying(self._once, probe)
        return result, int(retrying.statistics.get("attempt_number", 1))

    def _worth_retrying(self, result: Attempted) -> bool:
        if self.ctx.stop.is_set() or not result.outcome.retryable:
            return False
        retry_after = result.outcome.retry_after
        return retry_after is None or retry_after <= self.ctx.config.max_retry_after

    def _wait(self, state: RetryCallState) -> float:
        result: Attempted | None = state.outcome.result() if state.outcome else None
        if result is not None and result.outcome.retry_after is not None:
            return 0.0  # the bucket is paused until Retry-After has passed
        return float(min(60.0, self.ctx.config.backoff * 2 ** (state.attempt_number - 1)))

    async def _once(self, probe: Probe) -> Attempted:
        request = self.adapter.request(probe.query)
        # The run's headers (User-Agent, vantage headers) go under the adapter's own. The
        # client's cookie jar is never merged in: no cookies are sent unless given.
        for name, value in self.run_headers.items():
            request.headers.setdefault(name, value)
        await self.bucket.acquire()
        try:
            response = await self.client.send(request)
        except httpx.TimeoutException as exc:
            return self._transport_error(request, ErrorKind.TIMEOUT, exc)
        except httpx.HTTPError as exc:
            return self._transport_error(request, ErrorKind.NETWORK, exc)
        status = response.status_code
        if status == 429:
            retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
            if retry_after is not None:
                self.bucket.pause_until(time.monotonic() + retry_after)
            outcome = Outcome.failed(
                ErrorKind.RATE_LIMITED,
                f"HTTP 429, Retry-After {retry_after}",
                retry_after=retry_after,
            )
        elif status >= 500:
            outcome = Outcome.failed(ErrorKind.HTTP_STATUS, f"HTTP {status}")
        else:
            outcome = self.adapter.classify(probe.query, response)
        exchange = Exchange.capture(response, self.ctx.redactor) if self.ctx.evidence else None
        return Attempted(
            outcome, exchange, request.method, self.ctx.redactor.url(str(response.url)), status
        )

    def _transport_error(
        self, request: httpx.Request, kind: ErrorKind, exc: Exception
    ) -> Attempted:
        detail = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
        return Attempted(
            Outcome.failed(kind, detail),
            None,
            request.method,
            self.ctx.redactor.url(str(request.url)),
            None,
        )

    def _commit(
        self,
        probe: Probe,
        result: Attempted,
        outcome: Outcome,
        attempts: int,
        started_at: str,
        elapsed_ms: int,
        *,
        check: int | None = None,
        window: tuple[int, int] | None = None,
    ) -> None:
        ctx = self.ctx
        ref: EvidenceRef | None = None
        if ctx.evidence is not None and result.exchange is not None:
            ref = ctx.evidence.write(result.exchange, probe.key)
        observation = {
            "schema": SCHEMA,
            "run_id": ctx.writer.manifest["run_id"],
            "key": probe.key,
            "role": "control" if probe.control else "probe",
            "term": probe.term.to_json(),
            "query": probe.query.text,
            "platform": probe.platform,
            "adapter_version": self.adapter.version,
            "vantage": probe.vantage,
            "started_at": started_at,
            "elapsed_ms": elapsed_ms,
            "attempts": attempts,
            "request": {"method": result.method, "url": result.url, "status": result.status},
            **outcome.to_json(),
            "evidence": ref.to_json() if ref else None,
        }
        observation["items"] = observation["items"][:_MAX_ITEMS]
        if check is not None:
            observation["check"] = check
        if window is not None:
            observation["controls"] = {"opening": window[0], "closing": window[1]}
        ctx.writer.append(observation)
        if ctx.on_observation is not None:
            ctx.on_observation(observation)


@dataclass
class Plan:
    """What a run will do, computed before it starts (the CLI shows the total)."""

    config: RunConfig
    lists: list[LoadedList]
    adapters: dict[str, Adapter]
    shard: Shard | None = field(default=None)

    def probes(self, platform: str, done: set[str]) -> Iterator[Probe]:
        adapter = self.adapters[platform]
        for probe in plan_probes(
            self.lists, platform, self.config.vantage, adapter.separator, self.shard
        ):
            if probe.key not in done:
                yield probe

    def controls(self, platform: str) -> list[Probe]:
        return plan_controls(
            self.lists, platform, self.config.vantage, self.adapters[platform].separator
        )

    def total(self) -> int:
        return sum(1 for platform in self.adapters for _ in self.probes(platform, set()))


def make_plan(config: RunConfig) -> Plan:
    lists, adapters = prepare(config)
    return Plan(config, lists, adapters, Shard.parse(config.shard) if config.shard else None)


def _manifest(plan: Plan) -> dict[str, Any]:
    return {
        "tool": {"name": "censorprobe", "version": TOOL_VERSION},
        "adapters": {name: adapter.version for name, adapter in plan.adapters.items()},
        "endpoints": {name: adapter.base_url for name, adapter in plan.adapters.items()},
        "lists": [
            {"id": loaded.content.id, "path": str(loaded.path), "sha256": loaded.sha256}
            for loaded in plan.lists
        ],
        "vantage": plan.config.vantage,
        "shard": plan.config.shard,
        "config": plan.config.public(),
    }


async def execute(
    plan: Plan,
    results: Path,
    *,
    run_id: str | None = None,
    resume: bool = False,
    on_observation: ObservationHook | None = None,
    stop: asyncio.Event | None = None,
) -> RunResult:
    """Run (or resume) the plan into ``results/<run-id>/``. Never raises for what a platform does."""
    results.mkdir(parents=True, exist_ok=True)
    if resume:
        assert run_id is not None
        writer = SnapshotWriter.reopen(results, run_id)
        _check_same_lists(plan, writer.manifest)
    else:
        writer = SnapshotWriter.create(results, run_id or new_run_id(), _manifest(plan))
    config = plan.config
    evidence = (
        EvidenceWriter(
            writer.folder / EVIDENCE, truncate_at=writer.evidence_end if resume else None
        )
        if config.evidence
        else None
    )
    ctx = _Context(
        config,
        writer,
        evidence,
        Redactor().with_params(config.redact_params),
        on_observation,
        stop or asyncio.Event(),
    )
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
