"""Code about results: find snapshots, diff them, follow keys over time, export and report."""

from __future__ import annotations

from .diff import CENSORSHIP_CHANGES, Change, ChangeKind, DiffResult, Side, diff_snapshots, diff_vantages, vantages
from .store import ALIASES, Snapshot, SnapshotError, find_snapshots, resolve_snapshot

__all__ = [
    "ALIASES",
    "CENSORSHIP_CHANGES",
    "Change",
    "ChangeKind",
    "DiffResult",
    "Side",
    "Snapshot",
    "SnapshotError",
    "diff_snapshots",
    "diff_vantages",
    "find_snapshots",
    "resolve_snapshot",
    "vantages",
]
