"""Finding snapshots in a results folder and resolving the names people give them."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from snapshots.format import (
    ISOLATIONS,
    MANIFEST,
    OBSERVATIONS,
    SnapshotError,
    iter_jsonl,
    read_manifest,
    run_dir,
)

__all__ = ["ALIASES", "Snapshot", "SnapshotError", "find_snapshots", "resolve_snapshot"]

_log = logging.getLogger(__name__)

#: Names that mean "the newest snapshot" and "the one before it", by manifest ``started_at``.
ALIASES = ("latest", "previous")


@dataclass(frozen=True)
class Snapshot:
    """One run's folder and its manifest."""

    folder: Path
    manifest: dict[str, Any]

    @classmethod
    def open(cls, folder: Path) -> Snapshot:
        return cls(folder, read_manifest(folder))

    @property
    def run_id(self) -> str:
        return str(self.manifest.get("run_id") or self.folder.name)

    @property
    def started_at(self) -> str:
        return str(self.manifest.get("started_at") or "")

    @property
    def status(self) -> str:
        return str(self.manifest.get("status") or "unknown")

    @property
    def observations(self) -> Path:
        return self.folder / OBSERVATIONS

    def isolations(self) -> dict[str, dict[str, Any]]:
        """The run's isolation records (``run --isolate``) by key (torn-line rule of the format)."""
        return {record["key"]: record for record in iter_jsonl(self.folder / ISOLATIONS)}

    def _order(self) -> tuple[str, str]:
        return (self.started_at, self.run_id)


def _warn(error: SnapshotError) -> None:
    _log.warning("skipped %s", error)


def find_snapshots(
    results: Path, on_bad: Callable[[SnapshotError], None] = _warn
) -> list[Snapshot]:
    """Every snapshot directly under ``results``, oldest first (by ``started_at``, then run id).

    Runs still going or interrupted are included: their manifest says so in ``status``. A
    folder whose manifest cannot be read is passed to ``on_bad`` (by default a warning naming
    the file) and left out, so one hand-edited manifest does not stop a folder-wide command.
    """
    if not results.is_dir():
        return []
    found = []
    for child in sorted(results.iterdir()):
        if child.is_dir() and (child / MANIFEST).is_file():
            try:
                found.append(Snapshot.open(child))
            except SnapshotError as error:
                on_bad(error)
    return sorted(found, key=Snapshot._order)


def resolve_snapshot(name: str, results: Path) -> Snapshot:
    """A snapshot named by alias (``latest``, ``previous``), folder path, or run id in ``results``.

    An alias wins over a run id of the same name; a path wins over a run id when both exist.
    """
    if name in ALIASES:
        snapshots = find_snapshots(results)
        wanted = ALIASES.index(name) + 1
        if len(snapshots) < wanted:
            raise SnapshotError(
                f"{name!r} needs {wanted} snapshot(s) under {results}, found {len(snapshots)}"
            )
        return snapshots[-wanted]
    path = Path(name)
    if (path / MANIFEST).is_file():
        return Snapshot.open(path)
    if len(path.parts) == 1:
        folder = run_dir(results, name)
        if (folder / MANIFEST).is_file():
            return Snapshot.open(folder)
    raise SnapshotError(
        f"no snapshot {name!r}: not a snapshot folder, nor a run id under {results}"
    )
