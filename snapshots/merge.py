"""Merge shard snapshots (``run --shard i/n`` on several machines) into one snapshot.

The inputs must have probed the same keyword lists (same sha256). Probe keys appear once;
a key found twice with a different verdict or signal is a conflict: reported, first kept.
Control checks are renumbered per platform (shard 2's check 1 follows shard 1's last), and
each probe's ``controls`` window with them. Evidence files (gzip per WARC record) are
concatenated byte for byte, and each observation's offset moved by the bytes before it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from snapshots.format import EVIDENCE, iter_observations, read_manifest, utc_now
from snapshots.writer import SnapshotWriter, new_run_id

__all__ = ["Conflict", "MergeError", "MergeResult", "merge_snapshots"]

#: Manifest fields the writer owns (it sets them when it creates and finishes the snapshot).
_WRITER_FIELDS = frozenset(
    {"schema", "run_id", "started_at", "ended_at", "status", "resumed_at", "counts"}
)


class MergeError(ValueError):
    pass


@dataclass(frozen=True)
class Conflict:
    key: str
    kept: str  # run id whose observation was kept
    dropped: str
    kept_outcome: str
    dropped_outcome: str

    def __str__(self) -> str:
        return (
            f"{self.key}: {self.kept} says {self.kept_outcome}, {self.dropped} says "
            f"{self.dropped_outcome}; kept {self.kept}"
        )


@dataclass
class MergeResult:
    run_id: str
    folder: Path
    status: str
    observations: int
    duplicates: int = 0
    conflicts: list[Conflict] = field(default_factory=list)


def _outcome(observation: dict[str, Any]) -> str:
    if observation["verdict"] == "error":
        return f"error/{(observation.get('error') or {}).get('kind')}"
    signal = observation.get("signal")
    return observation["verdict"] + (f"/{signal}" if signal else "")


def _lists(manifest: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((entry["id"], entry["sha256"]) for entry in manifest.get("lists", []))


def merge_snapshots(inputs: Sequence[Path], out: Path, run_id: str | None = None) -> MergeResult:
    """Write ``out/<run-id>/`` from the input snapshot folders (in the order given)."""
    if not inputs:
        raise MergeError("give at least one snapshot to merge")
    manifests = [read_manifest(folder) for folder in inputs]
    first = manifests[0]
    for folder, manifest in zip(inputs, manifests, strict=True):
        if _lists(manifest) != _lists(first):
            raise MergeError(
                f"{folder}: its keyword lists (by sha256) differ from {inputs[0]}'s; "
                "only shards of one plan can be merged"
            )
    out.mkdir(parents=True, exist_ok=True)
    run_id = run_id or new_run_id()
    merged = {
        **{k: v for k, v in first.items() if k not in _WRITER_FIELDS},
        "shard": None,
        "vantage": "+".join(sorted({str(m.get("vantage")) for m in manifests})),
        "adapters": {k: v for m in manifests for k, v in m.get("adapters", {}).items()},
        "endpoints": {k: v for m in manifests for k, v in m.get("endpoints", {}).items()},
    }
    started_at = min(str(m.get("started_at") or "") for m in manifests) or None
    writer = SnapshotWriter.create(out, run_id, merged, started_at=started_at)
    result = MergeResult(run_id, writer.folder, "", 0)
    seen: dict[str, tuple[str, str]] = {}  # key -> (run id, outcome)
    check_offset: dict[str, int] = {}
    evidence_offset = 0
    any_evidence = any((folder / EVIDENCE).exists() for folder in inputs)
    try:
        with ExitStack() as files:
            evidence = (
                files.enter_context((writer.folder / EVIDENCE).open("wb")) if any_evidence else None
            )
            for folder, manifest in zip(inputs, manifests, strict=True):
                source = manifest.get("run_id", folder.name)
                offsets = dict(check_offset)
                for observation in iter_observations(folder):
                    platform = observation["platform"]
                    shift = offsets.get(platform, 0)
                    if observation.get("role") == "control":
                        observation["check"] += shift
                        check_offset[platform] = max(
                            check_offset.get(platform, 0), observation["check"]
                        )
                    else:
                        key = observation["key"]
                        if key in seen:
                            kept_run, kept_outcome = seen[key]
                            if kept_outcome != _outcome(observation):
                                result.conflicts.append(
                                    Conflict(
                                        key, kept_run, source, kept_outcome, _outcome(observation)
                                    )
                                )
                            else:
                                result.duplicates += 1
                            continue
                        seen[key] = (source, _outcome(observation))
                        window = observation.get("controls")
                        if window:
                            window["opening"] += shift
                            window["closing"] += shift
                    if observation.get("evidence"):
                        observation["evidence"]["offset"] += evidence_offset
                    observation["run_id"] = run_id
                    writer.append(observation)
                    result.observations += 1
                warc = folder / EVIDENCE
                if warc.exists() and evidence is not None:
                    with warc.open("rb") as stream:
                        shutil.copyfileobj(stream, evidence)
                    evidence_offset += warc.stat().st_size
    except BaseException:
        writer.close()
        shutil.rmtree(writer.folder, ignore_errors=True)
        raise
    statuses = [manifest.get("status") for manifest in manifests]
    result.status = (
        "complete" if all(status == "complete" for status in statuses) else "interrupted"
    )
    writer.manifest["merged"] = {
        "at": utc_now(),
        "from": [
            {"run_id": m.get("run_id"), "shard": m.get("shard"), "status": m.get("status")}
            for m in manifests
        ],
        "duplicates": result.duplicates,
        "conflicts": [str(conflict) for conflict in result.conflicts],
    }
    ended_at = max(str(m.get("ended_at") or "") for m in manifests) or None
    writer.finish(result.status, ended_at=ended_at)
    return result
