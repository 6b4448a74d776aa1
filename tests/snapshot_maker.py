"""Write snapshots by hand, in the format of ``results/README.md``, for the results tests.

The observations are made here; the folder is written by the project's own
:class:`~snapshots.writer.SnapshotWriter`, so these snapshots are checked against the format
exactly as a run's are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from snapshots.format import OBSERVATIONS, SCHEMA, TOOL, Key
from snapshots.writer import SnapshotWriter

__all__ = ["control", "probe", "write_snapshot"]


def probe(
    term: str,
    verdict: str,
    *,
    signal: str | None = None,
    error: str | None = None,
    count: int | None = None,
    platform: str = "weibo",
    vantage: str = "local",
    category: str = "protest",
    variant: str = "original",
    notice: str | None = None,
    text: str | None = None,
    confidence: str | None = None,
) -> dict[str, Any]:
    """One probe observation; ``run_id`` and ``started_at`` are filled in by ``write_snapshot``."""
    query = text or f"词{term}"
    return {
        "schema": SCHEMA,
        "key": str(Key("t", term, variant, platform, vantage)),
        "role": "probe",
        "term": {
            "id": term,
            "text": query,
            "parts": [query],
            "list": "t",
            "category": category,
            "variant": variant,
        },
        "query": query,
        "platform": platform,
        "adapter_version": "1.0",
        "vantage": vantage,
        "elapsed_ms": 7,
        "attempts": 1,
        "request": {
            "method": "GET",
            "url": f"https://{platform}.example/search?q=x",
            "status": None if error else 200,
        },
        "verdict": verdict,
        "signal": signal,
        "confidence": confidence or (_confidence(signal) if verdict == "censored" else None),
        "error": {"kind": error, "detail": f"{error} (test)"} if error else None,
        "result_count": count,
        "items": [],
        "notice": notice,
        "fingerprint": f"{platform}.{signal}" if signal else None,
        "controls": {"opening": 1, "closing": 2},
        "evidence": None,
    }


def _confidence(signal: str | None) -> str:
    """What the runner writes without a confirmation: explicit notices are confirmed."""
    return "confirmed" if signal in ("notice", "partial_notice") else "suspected"


def control(term: str, verdict: str, check: int, *, platform: str = "weibo") -> dict[str, Any]:
    """A control observation of check number ``check``."""
    observation = probe(term, verdict, platform=platform, category="control", count=100)
    observation.update(role="control", check=check)
    del observation["controls"]
    return observation


def write_snapshot(
    results: Path,
    run_id: str,
    started_at: str,
    observations: list[dict[str, Any]],
    *,
    status: str = "complete",
    torn_tail: str = "",
) -> Path:
    """``results/run_id`` with a manifest and one line per observation (plus a torn tail)."""
    manifest = {"tool": TOOL, "adapters": {}, "vantage": "local"}
    writer = SnapshotWriter.create(results, run_id, manifest, started_at=started_at)
    for number, observation in enumerate(observations):
        seconds = f"{number % 60:02d}"
        moment = started_at.replace(":00.000Z", f":{seconds}.000Z")
        writer.append({"run_id": run_id, "started_at": moment, **observation})
    writer.finish(status, ended_at=started_at)
    if torn_tail:
        with (writer.folder / OBSERVATIONS).open("a", encoding="utf-8") as stream:
            stream.write(torn_tail)
    return writer.folder
