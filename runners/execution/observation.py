"""The observation line: one envelope around what a probe found, and one way to commit it.

Local runs (:mod:`runners.execution.runner`) and distributed ones
(:mod:`runners.distributed.coordinator`) both write through :class:`ObservationSink`: the
exchange into the WARC first, then the line that points at it, then the progress hook.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runners.plan.planner import Probe
from snapshots.evidence import EvidenceWriter, Exchange
from snapshots.format import SCHEMA
from snapshots.writer import SnapshotWriteError, SnapshotWriter

if TYPE_CHECKING:
    from runners.execution.confirmation import Confirmation

__all__ = ["MAX_ITEMS", "ObservationHook", "ObservationSink", "Observed", "build_observation"]

#: Items kept per observation (the first results the platform listed).
MAX_ITEMS = 5

ObservationHook = Callable[[dict[str, Any]], None]


@dataclass(frozen=True)
class Observed:
    """What one probe or control found, ready to commit: the observation line but for the
    run it belongs to and where its evidence lands in the WARC (format: results/README.md).

    ``check``: the number of the control check a control belongs to; ``window``: the checks
    (opening, closing) that judged a probe; ``confirmation``: how a silent signal was
    confirmed, its probes' exchanges still to be written.
    """

    probe: Probe
    adapter_version: str
    started_at: str
    elapsed_ms: int
    attempts: int
    request: dict[str, Any]
    outcome: dict[str, Any]
    exchange: Exchange | None = None
    check: int | None = None
    window: tuple[int, int] | None = None
    confirmation: Confirmation | None = None


def build_observation(
    run_id: str,
    observed: Observed,
    *,
    evidence: dict[str, Any] | None,
    confirmation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One line of ``observations.jsonl``: ``observed`` with where its evidence (and that of
    its confirmation's probes, in ``confirmation``) was written."""
    probe = observed.probe
    line = {
        "schema": SCHEMA,
        "run_id": run_id,
        "key": probe.key,
        "role": "control" if probe.control else "probe",
        "term": probe.term.to_json(),
        "query": probe.query.text,
        "platform": probe.platform,
        "adapter_version": observed.adapter_version,
        "vantage": probe.vantage,
        "started_at": observed.started_at,
        "elapsed_ms": observed.elapsed_ms,
        "attempts": observed.attempts,
        "request": observed.request,
        **observed.outcome,
        "evidence": evidence,
    }
    line["items"] = line["items"][:MAX_ITEMS]
    if observed.check is not None:
        line["check"] = observed.check
    if observed.window is not None:
        line["controls"] = {"opening": observed.window[0], "closing": observed.window[1]}
    if confirmation is not None:
        line["confirmation"] = confirmation
    return line


@dataclass
class ObservationSink:
    """Where a run's observations go: its snapshot, its WARC (if kept), a progress hook."""

    writer: SnapshotWriter
    evidence: EvidenceWriter | None
    on_observation: ObservationHook | None = None

    def commit(self, observed: Observed) -> dict[str, Any]:
        """Write one observation with its evidence; :class:`SnapshotWriteError` if it cannot."""
        key = observed.probe.key
        confirmed = None
        if observed.confirmation is not None:
            refs = [
                self._evidence(check.result.exchange, check.key(key))
                for check in observed.confirmation.probes
            ]
            confirmed = observed.confirmation.to_json(key, refs)
        line = build_observation(
            self.writer.manifest["run_id"],
            observed,
            evidence=self._evidence(observed.exchange, key),
            confirmation=confirmed,
        )
        self.writer.append(line)
        if self.on_observation is not None:
            self.on_observation(line)
        return line

    def _evidence(self, exchange: Exchange | None, key: str) -> dict[str, Any] | None:
        if self.evidence is None or exchange is None:
            return None
        try:
            return self.evidence.write(exchange, key).to_json()
        except OSError as exc:  # the line that would point at it is not written either
            raise SnapshotWriteError(
                f"{self.evidence.path}: cannot write ({exc.strerror or exc})"
            ) from None
