"""The observation line: one envelope around what a probe found, shared by every way of running."""

from __future__ import annotations

from typing import Any

from runners.plan.planner import Probe
from snapshots.format import SCHEMA

__all__ = ["MAX_ITEMS", "build_observation"]

#: Items kept per observation (the first results the platform listed).
MAX_ITEMS = 5


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
