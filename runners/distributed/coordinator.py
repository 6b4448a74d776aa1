"""The coordinator: plan a run, send its batches to each vantage's queue, write one snapshot.

:func:`dispatch` plans the run with :func:`runners.execution.runner.make_plan`, once per vantage
point (the vantage is part of every key), cuts each platform's probes into batches and
enqueues them on ``vantage.<name>``. Each batch carries its own controls (see
:mod:`runners.distributed.tasks`), so the window that judges a probe is its batch. Results
are collected as they come back and written to one ordinary snapshot — observations,
evidence (WARC) and manifest — exactly as a local run writes them; the first result per key
wins (a re-delivered batch may come back twice). ``resume`` skips every key already
written; ``deadline`` bounds the wait, and vantages with no live worker are reported. A
batch whose opening controls got no answer at all stops its platform at its vantage, as a local
run aborts a platform: its other batches are revoked, the run ends ``interrupted`` with the
reason in ``aborted``, and a resume tries again.

Every batch sent is noted in ``batches.jsonl`` in the snapshot (task id, vantage, platform,
keys). A coordinator that resumes a run first writes what the earlier one's batches brought
back since it died, then starts a new generation (:mod:`.generation`): the batches the earlier
one left queued are dropped by the workers instead of being probed a second time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, TextIO

from runners.distributed.app import app as default_app
from runners.distributed.app import queue_of
from runners.distributed.generation import start_generation
from runners.distributed.tasks import exchange_from_json
from runners.execution.observation import ObservationSink, Observed
from runners.execution.progress import RunWatcher
from runners.execution.runner import open_snapshot
from runners.plan.planner import Plan, Probe
from snapshots.format import BATCHES

__all__ = ["BATCHES", "DispatchResult", "dispatch", "live_vantages", "vantage_plan"]


@dataclass
class DispatchResult:
    run_id: str
    folder: Path
    status: str
    counts: dict[str, Any]
    #: vantages that had no live worker when the run started
    no_worker: list[str] = field(default_factory=list)
    #: vantage -> number of batches still outstanding when the run ended
    outstanding: dict[str, int] = field(default_factory=dict)
    #: on resume: batches of the earlier dispatch whose results were written, not sent again
    recovered: int = 0
    #: "platform (vantage V)" -> why it was stopped: its controls got no answer there
    aborted: dict[str, str] = field(default_factory=dict)


def vantage_plan(plan: Plan, vantage: str) -> Plan:
    """The same plan measured from ``vantage`` (keys carry the vantage)."""
    return Plan(
        plan.config.model_copy(update={"vantage": vantage}), plan.lists, plan.adapters, plan.shard
    )


def live_vantages(vantages: list[str], app: Any = default_app, timeout: float = 1.0) -> set[str]:
    """The vantages at least one live worker consumes (asks the workers over the broker)."""
    replies = app.control.inspect(timeout=timeout).active_queues() or {}
    queues = {queue["name"] for worker in replies.values() for queue in worker}
    return {vantage for vantage in vantages if queue_of(vantage) in queues}


def _plain(probe: Probe) -> dict[str, Any]:
    return {"key": probe.key, "parts": list(probe.term.parts)}


def _batches(probes: Iterator[Probe], size: int) -> Iterator[list[Probe]]:
    while batch := list(islice(probes, size)):
        yield batch


@dataclass
class _Batch:
    vantage: str
    platform: str
    probes: dict[str, Probe]
    controls: list[Probe]


def dispatch(
    plan: Plan,
    vantages: list[str],
    results: Path,
    *,
    run_id: str | None = None,
    resume: bool = False,
    deadline: float | None = None,
    batch_size: int = 25,
    app: Any = default_app,
    watcher: RunWatcher | None = None,
    should_stop: Callable[[], bool] = lambda: False,
    poll: float = 0.05,
) -> DispatchResult:
    """Run ``plan`` from every vantage on the workers; write one snapshot under ``results``."""
    from runners.distributed.tasks import probe_batch

    writer, evidence = open_snapshot(
        plan,
        results,
        run_id,
        resume,
        {"vantage": ",".join(vantages), "vantages": vantages, "distributed": True},
    )
    run_id = writer.manifest["run_id"]
    sink = ObservationSink(writer, evidence, _collected(watcher) if watcher else None)
    config = plan.config
    status = "interrupted"
    no_worker: list[str] = []
    pending: dict[str, tuple[Any, _Batch]] = {}
    checks = dict(writer.last_check)
    recovered = 0
    aborted: dict[str, str] = {}
    sent_log: TextIO | None = None
    try:
        if resume:
            recovered = _collect_earlier(sink, plan, app, checks)
        generation = start_generation(app.conf.broker_url, run_id)
        sent_log = (writer.folder / BATCHES).open("w", encoding="utf-8")
        live = live_vantages(vantages, app)
        no_worker = [vantage for vantage in vantages if vantage not in live]
        settings = config.model_dump(mode="json")
        settings.pop("headers", None)
        settings.pop("proxy", None)  # each worker has its own
        for vantage in vantages:
            here = vantage_plan(plan, vantage)
            for platform in plan.adapters:
                controls = here.controls(platform)
                for chunk in _batches(here.probes(platform, writer.done), batch_size):
                    task = probe_batch.apply_async(
                        args=(
                            run_id,
                            platform,
                            settings,
                            vantage,
                            [_plain(p) for p in chunk],
                            [_plain(c) for c in controls],
                            generation,
                        ),
                        queue=queue_of(vantage),
                    )
                    batch = _Batch(vantage, platform, {p.key: p for p in chunk}, controls)
                    pending[task.id] = (task, batch)
                    _note_sent(sent_log, task.id, batch)
                    if watcher is not None:
                        for _ in chunk:
                            watcher.sent(platform)
        ends = None if deadline is None else time.monotonic() + deadline
        while pending and not should_stop():
            if ends is not None and time.monotonic() > ends:
                break
            progressed = False
            for task_id, (task, sent) in list(pending.items()):
                if task_id not in pending or not task.ready():
                    continue  # revoked with its platform, or not back yet
                progressed = True
                del pending[task_id]
                if task.failed():
                    continue  # its keys stay missing: the run ends interrupted
                body = task.get(propagate=False)
                task.forget()
                if body.get("stale"):  # a newer dispatch of this run has begun
                    continue
                _write_batch(sink, sent, body, checks)
                if body.get("no_answer"):
                    aborted[f"{sent.platform} (vantage {sent.vantage})"] = body["no_answer"]
                    _stop_platform(pending, sent)
            if not progressed:
                time.sleep(poll)
        missing = any(
            True
            for vantage in vantages
            for platform in plan.adapters
            for _ in vantage_plan(plan, vantage).probes(platform, writer.done)
        )
        status = "interrupted" if missing else "complete"
    finally:
        for task, _ in pending.values():
            task.revoke()  # best effort: live workers drop it; resume re-sends what is missing
        if sent_log is not None:
            sent_log.close()
        if evidence is not None:
            evidence.close()
        writer.finish(status)
    outstanding: dict[str, int] = {}
    for _, left in pending.values():
        outstanding[left.vantage] = outstanding.get(left.vantage, 0) + 1
    return DispatchResult(
        run_id,
        writer.folder,
        status,
        writer.manifest["counts"],
        no_worker,
        outstanding,
        recovered,
        aborted,
    )


def _stop_platform(pending: dict[str, tuple[Any, _Batch]], unreachable: _Batch) -> None:
    """Revoke the batches still pending of the platform and vantage that gave no answer."""
    for task_id, (task, batch) in list(pending.items()):
        if (batch.vantage, batch.platform) == (unreachable.vantage, unreachable.platform):
            task.revoke()
            del pending[task_id]


def _note_sent(log: TextIO, task_id: str, batch: _Batch) -> None:
    record = {
        "task": task_id,
        "vantage": batch.vantage,
        "platform": batch.platform,
        "keys": list(batch.probes),
    }
    log.write(json.dumps(record, ensure_ascii=False) + "\n")
    log.flush()


def _read_sent(path: Path) -> Iterator[dict[str, Any]]:
    """The batches an earlier dispatch noted; a torn last line (a kill mid-write) is left out."""
    if not path.exists():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            yield json.loads(line)
        except json.JSONDecodeError:
            return


def _collect_earlier(sink: ObservationSink, plan: Plan, app: Any, checks: dict[str, int]) -> int:
    """Write what the batches of the run's earlier dispatch brought back; return how many.

    Their keys are then written and not sent again. Batches not finished yet are left alone:
    the new generation makes the workers drop those still queued.
    """
    writer = sink.writer
    missing: dict[tuple[str, str], dict[str, Probe]] = {}
    collected = 0
    for sent in _read_sent(writer.folder / BATCHES):
        result = app.AsyncResult(sent["task"])
        if not result.successful():
            continue
        body = result.get(propagate=False)
        result.forget()
        if not isinstance(body, dict) or body.get("stale"):
            continue
        vantage, platform = sent["vantage"], sent["platform"]
        here = vantage_plan(plan, vantage)
        if (vantage, platform) not in missing:
            missing[vantage, platform] = {p.key: p for p in here.probes(platform, writer.done)}
        wanted = missing[vantage, platform]
        probes = {key: wanted[key] for key in sent["keys"] if key in wanted}
        if probes:
            batch = _Batch(vantage, platform, probes, here.controls(platform))
            _write_batch(sink, batch, body, checks)
            collected += 1
    return collected


def _collected(watcher: RunWatcher) -> Callable[[dict[str, Any]], None]:
    """A worker's answer reaches the coordinator already judged: answered and committed at once
    (sent counts the probes handed to workers)."""

    def tell(observation: dict[str, Any]) -> None:
        if observation.get("role") == "probe":
            watcher.answered(str(observation.get("platform")))
        watcher.committed(observation)

    return tell


def _write_batch(
    sink: ObservationSink, batch: _Batch, body: dict[str, Any], checks: dict[str, int]
) -> None:
    fresh = [
        row
        for row in body["probes"]
        if row["key"] in batch.probes and row["key"] not in sink.writer.done
    ]
    if not fresh and not body.get("no_answer"):
        return  # a re-delivered batch whose probes are all written already
    version = body["adapter_version"]
    by_key = {control.key: control for control in batch.controls}

    def commit(probe: Probe, row: dict[str, Any], **where: Any) -> None:
        sink.commit(
            Observed(
                probe,
                version,
                started_at=row["started_at"],
                elapsed_ms=row["elapsed_ms"],
                attempts=row["attempts"],
                request=row["request"],
                outcome=row["outcome"],
                exchange=exchange_from_json(row.get("exchange")),
                **where,
            )
        )

    # Check numbers run per platform across vantages, as `last_check` counts them on resume.
    opening = checks.get(batch.platform, 0) + 1
    closing = opening + 1
    checks[batch.platform] = closing
    for number, rows in ((opening, body["opening"]), (closing, body["closing"])):
        for row in rows:
            commit(by_key[row["key"]], row, check=number)
    for row in fresh:
        commit(batch.probes[row["key"]], row, window=(opening, closing))
