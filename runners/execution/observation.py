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

__all__ = ["MAX_ITEMS", "ObservationHook", "ObservationSink", "build_observation"]

#: Items kept per observation (the first results the platform listed).
MAX_ITEMS = 5

ObservationHook = Callable[[dict[str, Any]], None]


def build_observation(
    run_id: str,
    probe: Probe,
    adapter_version: str,
    *,
    started_at: str,
    elapsed_ms: int,
    attempts: int,
    request: dict[str, Any],
    outcome: dict[str, Any],
    evidence: dict[str, Any] | None,
    check: int | None = None,
    window: tuple[int, int] | None = None,
    confirmation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One line of ``observations.jsonl`` (format: results/README.md)."""
    line = {
        "schema": SCHEMA,
        "run_id": run_id,
        "key": probe.key,
        "role": "control" if probe.control else "probe",
        "term": probe.term.to_json(),
        "query": probe.query.text,
        "platform": probe.platform,
        "adapter_version": adapter_version,
        "vantage": probe.vantage,
        "started_at": started_at,
        "elapsed_ms": elapsed_ms,
        "attempts": attempts,
        "request": request,
        **outcome,
        "evidence": evidence,
    }
    line["items"] = line["items"][:MAX_ITEMS]
    if check is not None:
        line["check"] = check
    if window is not None:
        line["controls"] = {"opening": window[0], "closing": window[1]}
    if confirmation is not None:
        line["confirmation"] = confirmation
    return line


@dataclass
class ObservationSink:
    """Where a run's observations go: its snapshot, its WARC (if kept), a progress hook."""

    writer: SnapshotWriter
    evidence: EvidenceWriter | None
    on_observation: ObservationHook | None = None

    def commit(
        self,
        probe: Probe,
        adapter_version: str,
        *,
        started_at: str,
        elapsed_ms: int,
        attempts: int,
        request: dict[str, Any],
        outcome: dict[str, Any],
        exchange: Exchange | None,
        check: int | None = None,
        window: tuple[int, int] | None = None,
        confirmation: Confirmation | None = None,
    ) -> dict[str, Any]:
        """Write one observation with its evidence; :class:`SnapshotWriteError` if it cannot."""
        confirmed = None
        if confirmation is not None:
            refs = [
                self._evidence(check.result.exchange, check.key(probe.key))
                for check in confirmation.probes
            ]
            confirmed = confirmation.to_json(probe.key, refs)
        line = build_observation(
            self.writer.manifest["run_id"],
            probe,
            adapter_version,
            started_at=started_at,
            elapsed_ms=elapsed_ms,
            attempts=attempts,
            request=request,
            outcome=outcome,
            evidence=self._evidence(exchange, probe.key),
            check=check,
            window=window,
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
