"""Code about results: find snapshots, diff them, follow keys over time, export and report them.

The HTML report lives in ``snapshots.report`` (not imported here: it loads matplotlib).
"""

from __future__ import annotations

from snapshots.diff import (
    CENSORSHIP_CHANGES,
    Change,
    ChangeKind,
    DiffResult,
    Side,
    diff_snapshots,
    diff_vantages,
    vantages,
)
from snapshots.export import EXPORT_COLUMNS, EXPORT_FORMATS, export_observations
from snapshots.store import ALIASES, Snapshot, SnapshotError, find_snapshots, resolve_snapshot
from snapshots.timeline import KeyTimeline, Point, timeline

__all__ = [
    "ALIASES",
    "CENSORSHIP_CHANGES",
    "EXPORT_COLUMNS",
    "EXPORT_FORMATS",
    "Change",
    "ChangeKind",
    "DiffResult",
    "KeyTimeline",
    "Point",
    "Side",
    "Snapshot",
    "SnapshotError",
    "diff_snapshots",
    "diff_vantages",
    "export_observations",
    "find_snapshots",
    "resolve_snapshot",
    "timeline",
    "vantages",
]
