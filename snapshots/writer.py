"""Snapshots on disk: ``results/<run-id>/`` with its manifest, observations and evidence.

Observations are appended and flushed one line at a time. A resumed run drops a torn last
line (a kill mid-write), skips every key already written, and truncates the WARC file back
to the end of the last record an observation points at.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from snapshots.format import (
    MANIFEST,
    MANIFEST_SCHEMA,
    OBSERVATIONS,
    SnapshotError,
    check_observation,
    encode_line,
    iter_observations,
    read_manifest,
    run_dir,
    utc_now,
    write_json_atomic,
)
from snapshots.keyset import KeySet

__all__ = ["Counts", "SnapshotWriter", "new_run_id"]


def new_run_id() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass
class Counts:
    """Per platform: verdicts, censorship by signal, errors by kind (probes, not controls)."""

    by_platform: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, observation: dict[str, Any]) -> None:
        if observation.get("role") == "control":
            return
        counter = self.by_platform[observation["platform"]]
        counter["probes"] += 1
        verdict = observation["verdict"]
        counter[verdict] += 1
        if verdict == "censored":
            counter[f"censored:{observation['signal']}"] += 1
        elif verdict == "error":
            counter[f"error:{observation['error']['kind']}"] += 1

    def to_json(self) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for platform, counter in sorted(self.by_platform.items()):
            result[platform] = {
                "probes": counter["probes"],
                "visible": counter["visible"],
                "censored": {
                    k.split(":", 1)[1]: v
                    for k, v in sorted(counter.items())
                    if k.startswith("censored:")
                },
                "error": {
                    k.split(":", 1)[1]: v
                    for k, v in sorted(counter.items())
                    if k.startswith("error:")
                },
            }
        return result


def _drop_torn_tail(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as stream:
        data = stream.read()
        if data.endswith(b"\n"):
            return
        stream.truncate(data.rfind(b"\n") + 1)


class SnapshotWriter:
    """Owns one run's folder while it runs."""

    def __init__(self, folder: Path, manifest: dict[str, Any]) -> None:
        self.folder = folder
        self.manifest = manifest
        self.counts = Counts()
        self.done = KeySet()  # compact: a million done keys in tens of MB, not hundreds
        self.last_check: dict[str, int] = {}
        self.evidence_end = 0
        self._stream = (folder / OBSERVATIONS).open("ab")

    @classmethod
    def create(
        cls,
        results: Path,
        run_id: str,
        manifest: dict[str, Any],
        *,
        started_at: str | None = None,
    ) -> SnapshotWriter:
        """A new run folder with a ``running`` manifest (``started_at`` now unless given)."""
        folder = run_dir(results, run_id)
        if folder.exists():
            raise SnapshotError(f"{folder} exists already: resume it with --resume {run_id}")
        folder.mkdir(parents=True)
        manifest = {
            "schema": MANIFEST_SCHEMA,
            "run_id": run_id,
            **manifest,
            "started_at": started_at or utc_now(),
            "ended_at": None,
            "status": "running",
            "resumed_at": [],
        }
        writer = cls(folder, manifest)
        writer.save_manifest()
        return writer

    @classmethod
    def reopen(cls, results: Path, run_id: str) -> SnapshotWriter:
        """Reopen an unfinished run: count what is done, drop a torn line."""
        folder = run_dir(results, run_id)
        manifest = read_manifest(folder)
        if manifest.get("status") == "complete":
            raise SnapshotError(f"run {run_id} is complete; snapshots are immutable once complete")
        _drop_torn_tail(folder / OBSERVATIONS)
        writer = cls(folder, manifest)
        for observation in iter_observations(folder):
            writer._account(observation)
        manifest["status"] = "running"
        manifest.setdefault("resumed_at", []).append(utc_now())
        writer.save_manifest()
        return writer

    def _account(self, observation: dict[str, Any]) -> None:
        if observation.get("role") == "control":
            platform = observation["platform"]
            self.last_check[platform] = max(self.last_check.get(platform, 0), observation["check"])
        else:
            self.done.add(observation["key"])
            self.counts.add(observation)
        evidence = observation.get("evidence")
        if evidence:
            self.evidence_end = max(self.evidence_end, evidence["offset"] + evidence["length"])

    def append(self, observation: dict[str, Any]) -> None:
        check_observation(observation)
        self._stream.write(encode_line(observation))
        self._stream.flush()
        self._account(observation)

    def save_manifest(self) -> None:
        self.manifest["counts"] = self.counts.to_json()
        write_json_atomic(self.folder / MANIFEST, self.manifest)

    def finish(self, status: str, *, ended_at: str | None = None) -> None:
        self.manifest["status"] = status
        self.manifest["ended_at"] = ended_at or utc_now()
        self.save_manifest()
        self.close()

    def close(self) -> None:
        """Close the observations file (``finish`` does this after the last manifest)."""
        self._stream.close()
