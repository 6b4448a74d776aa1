"""Snapshots on disk: ``results/<run-id>/`` with its manifest, observations and evidence.

Observations are appended and flushed one line at a time. A resumed run drops a torn last
line (a kill mid-write), skips every key already written, and truncates the WARC file back
to the end of the last record an observation points at.

One writer at a time: a writer holds an exclusive ``flock`` on the folder's ``.lock`` file
from the moment it creates or reopens the snapshot until it closes it. The kernel drops the
lock when the process dies, however it dies, so a killed run can be resumed at once, while
a second ``--resume`` of a run still being written is refused.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections import Counter, defaultdict
from collections.abc import Callable
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
    iter_jsonl,
    iter_observations,
    read_manifest,
    run_dir,
    utc_now,
    write_json_atomic,
)
from snapshots.keyset import KeySet

__all__ = [
    "LOCK",
    "RESERVE",
    "SUPERSEDED",
    "Counts",
    "SnapshotLocked",
    "SnapshotWriteError",
    "SnapshotWriter",
    "new_run_id",
]

#: The lock file a writer holds while it writes the snapshot (not read by any reader).
LOCK = ".lock"
#: Space a writer holds while it runs, given up on a full disk to write the last manifest.
RESERVE = ".reserve"
_RESERVE_BYTES = 64 * 1024
#: Observations replaced by ``run --retry-errors``, as they were (their evidence stays in
#: the WARC); ``observations.jsonl`` holds their new answers.
SUPERSEDED = "superseded.jsonl"


class SnapshotWriteError(SnapshotError):
    """A snapshot file could not be written (a full disk ...): the run must stop."""


class SnapshotLocked(SnapshotError):
    """Another process is writing the snapshot."""


def _lock(folder: Path) -> int:
    """Hold the folder's writer lock; :class:`SnapshotLocked` if another process holds it."""
    fd = os.open(folder / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise SnapshotLocked(
            f"{folder}: another censorprobe process (pid {holder}) is writing this run; "
            "wait for it to end (or stop it) before resuming"
        ) from None
    with contextlib.suppress(OSError):  # only a second writer's refusal message reads it
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode("ascii"), 0)
    return fd


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


def _write_failed(path: Path, exc: OSError) -> SnapshotWriteError:
    return SnapshotWriteError(f"{path}: cannot write ({exc.strerror or exc})")


def _set_aside(folder: Path, reask: Callable[[dict[str, Any]], bool]) -> int:
    """Move the observations ``reask`` picks to :data:`SUPERSEDED`; return how many.

    They are appended there first and fsynced, then ``observations.jsonl`` is replaced at
    once by the lines left, so a kill at any point loses none of them.
    """
    path, kept_path = folder / OBSERVATIONS, folder / (OBSERVATIONS + ".tmp")
    moved = 0
    with (folder / SUPERSEDED).open("ab") as aside, kept_path.open("wb") as kept:
        for observation in iter_observations(folder):
            if observation.get("role") == "probe" and reask(observation):
                aside.write(encode_line(observation))
                moved += 1
            else:
                kept.write(encode_line(observation))
        aside.flush()
        os.fsync(aside.fileno())
        kept.flush()
        os.fsync(kept.fileno())
    os.replace(kept_path, path)
    return moved


class SnapshotWriter:
    """Owns one run's folder while it runs (holding its lock: see the module's docstring)."""

    def __init__(self, folder: Path, manifest: dict[str, Any], lock: int) -> None:
        self.folder = folder
        self.manifest = manifest
        self.counts = Counts()
        self.done = KeySet()  # compact: a million done keys in tens of MB, not hundreds
        self.last_check: dict[str, int] = {}
        self.evidence_end = 0
        self._lock = lock
        self._path = folder / OBSERVATIONS
        # Unbuffered: a line is written whole or, on a failed write, cut back off (append).
        self._stream = self._path.open("ab", buffering=0)
        self._size = self._stream.seek(0, os.SEEK_END)
        self._reserve = folder / RESERVE
        with contextlib.suppress(OSError), self._reserve.open("wb") as reserve:
            os.posix_fallocate(reserve.fileno(), 0, _RESERVE_BYTES)

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
        writer = cls(folder, manifest, _lock(folder))
        try:
            writer.save_manifest()
        except BaseException:
            writer.close()
            raise
        return writer

    @classmethod
    def reopen(
        cls,
        results: Path,
        run_id: str,
        *,
        update: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
        reask: Callable[[dict[str, Any]], bool] | None = None,
    ) -> SnapshotWriter:
        """Reopen an unfinished run: count what is done, drop a torn line.

        ``update`` refuses the manifest (by raising) before anything changes, or returns the
        fields to change in it (what this resume does differently). ``reask`` picks probe
        observations to ask again, in a complete run too: they are set aside in
        :data:`SUPERSEDED` (their evidence stays in the WARC) and their keys are no longer
        done.
        """
        folder = run_dir(results, run_id)
        if not folder.is_dir():
            raise SnapshotError(f"{folder}: no such run")
        lock = _lock(folder)
        try:
            manifest = read_manifest(folder)
            if manifest.get("status") == "complete" and reask is None:
                raise SnapshotError(
                    f"run {run_id} is complete; snapshots are immutable once complete "
                    "(only --retry-errors asks its errors again)"
                )
            changes = update(manifest) if update is not None else {}
            _drop_torn_tail(folder / OBSERVATIONS)
            if reask is not None:
                moved = _set_aside(folder, reask)
                manifest.setdefault("retried", []).append({"at": utc_now(), "probes": moved})
            writer = cls(folder, manifest, lock)
        except BaseException:
            os.close(lock)
            raise
        try:
            for observation in iter_observations(folder):
                writer._account(observation)
            for observation in iter_jsonl(folder / SUPERSEDED):
                writer._keep_evidence(observation)
            manifest.update(changes)
            manifest["status"] = "running"
            manifest["ended_at"] = None
            manifest.setdefault("resumed_at", []).append(utc_now())
            writer.save_manifest()
        except BaseException:
            writer.close()
            raise
        return writer

    def _account(self, observation: dict[str, Any]) -> None:
        if observation.get("role") == "control":
            platform = observation["platform"]
            self.last_check[platform] = max(self.last_check.get(platform, 0), observation["check"])
        else:
            self.done.add(observation["key"])
            self.counts.add(observation)
        self._keep_evidence(observation)

    def _keep_evidence(self, observation: dict[str, Any]) -> None:
        """Where the WARC records this line points to end: its own exchange's and those of
        its confirmation probes (written with it), so a resume cuts back to none of them."""
        confirmation = observation.get("confirmation") or {}
        probes = confirmation.get("probes", []) if isinstance(confirmation, dict) else []
        for evidence in [observation.get("evidence"), *(p.get("evidence") for p in probes)]:
            if isinstance(evidence, dict):
                end = evidence["offset"] + evidence["length"]
                self.evidence_end = max(self.evidence_end, end)

    def append(self, observation: dict[str, Any]) -> None:
        """Write one line whole, or not at all (:class:`SnapshotWriteError`: disk full ...)."""
        check_observation(observation)
        data = memoryview(encode_line(observation))
        try:
            written = 0
            while written < len(data):
                written += self._stream.write(data[written:]) or 0
        except OSError as exc:
            # Cutting the part written back off frees space and needs none; should it fail,
            # the torn tail is dropped on resume.
            with contextlib.suppress(OSError):
                os.ftruncate(self._stream.fileno(), self._size)
            raise _write_failed(self._path, exc) from None
        self._size += len(data)
        self._account(observation)

    def save_manifest(self) -> None:
        """Write the manifest at once; on a full disk, give up the reserve and try again."""
        self.manifest["counts"] = self.counts.to_json()
        path = self.folder / MANIFEST
        try:
            write_json_atomic(path, self.manifest)
        except OSError as exc:
            if not self._reserve.exists():
                raise _write_failed(path, exc) from None
            self._reserve.unlink()
            try:
                write_json_atomic(path, self.manifest)
            except OSError as again:
                raise _write_failed(path, again) from None

    def finish(self, status: str, *, ended_at: str | None = None) -> None:
        """Write the last manifest and close; closed (and unlocked) even if the write fails."""
        self.manifest["status"] = status
        self.manifest["ended_at"] = ended_at or utc_now()
        try:
            self.save_manifest()
        finally:
            self.close()

    def close(self) -> None:
        """Close the observations file and let go of the lock (``finish`` does both)."""
        if self._lock < 0:
            return
        self._stream.close()
        self._reserve.unlink(missing_ok=True)
        os.close(self._lock)
        self._lock = -1
