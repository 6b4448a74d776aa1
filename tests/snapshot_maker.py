"""Write snapshots by hand, in the format of ``results/README.md``, for the results tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from snapshots.format import TOOL

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
) -> dict[str, Any]:
    """One probe observation; ``run_id`` and ``started_at`` are filled in by ``write_snapshot``."""
    query = text or f"词{term}"
    return {
        "schema": "censorprobe.observation/1",
        "key": f"t/{term}/{variant}/{platform}/{vantage}",
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
        "error": {"kind": error, "detail": f"{error} (test)"} if error else None,
        "result_count": count,
        "items": [],
        "notice": notice,
        "fingerprint": f"{platform}.{signal}" if signal else None,
        "controls": {"opening": 1, "closing": 2},
        "evidence": None,
    }


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
    folder = results / run_id
    folder.mkdir(parents=True)
    lines = []
    for number, observation in enumerate(observations):
        seconds = f"{number % 60:02d}"
        moment = started_at.replace(":00.000Z", f":{seconds}.000Z")
        full = {"run_id": run_id, "started_at": moment, **observation}
        lines.append(json.dumps(full, ensure_ascii=False, separators=(",", ":")) + "\n")
    (folder / "observations.jsonl").write_text("".join(lines) + torn_tail, encoding="utf-8")
    manifest = {
        "schema": "censorprobe.manifest/1",
        "run_id": run_id,
        "tool": TOOL,
        "adapters": {},
        "vantage": "local",
        "started_at": started_at,
        "ended_at": started_at,
        "status": status,
        "resumed_at": [],
        "counts": {},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return folder
