"""Snapshots as one SQLite database: tables ``runs``, ``observations`` and ``isolations``.

Made for datasette (``datasette results.db`` browses, filters and facets every table) and any
SQL tool. ``observations`` has the export columns (:mod:`snapshots.export`, documented in
results/README.md), lists as JSON arrays (datasette facets them with ``_facet_array``) and
timestamps as ISO 8601 text; ``run_id`` in ``observations`` and ``isolations`` is a foreign key
to ``runs`` (declared, so that datasette links each row to its run). Indexes cover the columns people filter
and facet on. The file is written beside the target and renamed into place when complete.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from snapshots.duck import connect
from snapshots.export import COLUMN_KINDS, ColumnKind, select_observations
from snapshots.format import EVIDENCE
from snapshots.store import Snapshot

__all__ = ["INDEXES", "RUN_COLUMNS", "export_sqlite"]

#: The ``runs`` table: one row per snapshot; ``manifest`` is the whole manifest as JSON.
RUN_COLUMNS = {
    "run_id": "TEXT PRIMARY KEY",
    "folder": "TEXT",
    "status": "TEXT",
    "started_at": "TEXT",
    "ended_at": "TEXT",
    "vantage": "TEXT",
    "software_name": "TEXT",
    "software_version": "TEXT",
    "probes": "INTEGER",
    "evidence_file": "TEXT",
    "manifest": "TEXT",
}
#: The ``isolations`` table: one row per line of a run's ``isolations.jsonl``.
ISOLATION_COLUMNS = {
    "run_id": "TEXT REFERENCES runs (run_id)",
    "key": "TEXT",
    "platform": "TEXT",
    "query": "TEXT",
    "trigger_parts": "TEXT",
    "queries": "INTEGER",
    "reused": "INTEGER",
    "signal": "TEXT",
    "error": "TEXT",
}
#: Table -> indexed columns (one index each).
INDEXES = {
    "observations": (
        "run_id",
        "key",
        "platform",
        "vantage",
        "role",
        "verdict",
        "signal",
        "term_id",
        "term_category",
        "measurement_start_time",
    ),
    "isolations": ("run_id", "key"),
    "runs": ("started_at", "status"),
}
_BATCH = 5_000


def _observation_columns() -> dict[str, str]:
    columns = {
        name: "INTEGER" if kind is ColumnKind.INTEGER else "TEXT"
        for name, kind in COLUMN_KINDS.items()
    }
    columns["run_id"] += " REFERENCES runs (run_id)"
    return columns


def _create(database: sqlite3.Connection, table: str, columns: dict[str, str]) -> None:
    body = ", ".join(f'"{name}" {kind}' for name, kind in columns.items())
    database.execute(f'CREATE TABLE "{table}" ({body})')


def _insert(database: sqlite3.Connection, table: str, width: int, rows: Iterator[Any]) -> int:
    marks = ", ".join("?" * width)
    before = database.total_changes
    database.executemany(f'INSERT INTO "{table}" VALUES ({marks})', rows)
    return database.total_changes - before


def _runs(snapshots: Sequence[Snapshot]) -> Iterator[tuple[Any, ...]]:
    for s in snapshots:
        tool = s.manifest.get("tool") or {}
        counts = s.manifest.get("counts") or {}
        probes = sum(int(c.get("probes", 0)) for c in counts.values() if isinstance(c, dict))
        yield (
            s.run_id,
            s.folder.name,
            s.status,
            s.started_at,
            s.manifest.get("ended_at"),
            s.manifest.get("vantage"),
            tool.get("name"),
            tool.get("version"),
            probes,
            f"{s.folder.name}/{EVIDENCE}" if (s.folder / EVIDENCE).exists() else None,
            json.dumps(s.manifest, ensure_ascii=False),
        )


def _isolations(snapshots: Sequence[Snapshot]) -> Iterator[tuple[Any, ...]]:
    for s in snapshots:
        for key, record in s.isolations().items():
            trigger = record.get("trigger")
            yield (
                s.run_id,
                key,
                record.get("platform"),
                record.get("query"),
                None if trigger is None else json.dumps(trigger, ensure_ascii=False),
                record.get("queries"),
                None if record.get("reused") is None else int(bool(record["reused"])),
                record.get("signal"),
                record.get("error"),
            )


def _observations(snapshots: Sequence[Snapshot]) -> Iterator[tuple[Any, ...]]:
    """Rows from DuckDB in batches, so memory does not grow with the number of observations."""
    selection = select_observations(snapshots, flat=True)
    result = connect().execute(selection.sql, selection.parameters)
    while batch := result.fetchmany(_BATCH):
        yield from batch


def export_sqlite(snapshots: Sequence[Snapshot], out: Path) -> dict[str, int]:
    """Write ``snapshots`` to the SQLite file ``out`` (replaced); return the rows per table."""
    temporary = out.with_name(out.name + ".tmp")
    temporary.unlink(missing_ok=True)
    observation_columns = _observation_columns()
    database = sqlite3.connect(temporary)
    try:
        # A scratch file until renamed into place: no journal, no fsync per transaction.
        database.execute("PRAGMA journal_mode = OFF")
        database.execute("PRAGMA synchronous = OFF")
        _create(database, "runs", RUN_COLUMNS)
        _create(database, "observations", observation_columns)
        _create(database, "isolations", ISOLATION_COLUMNS)
        written = {
            "runs": _insert(database, "runs", len(RUN_COLUMNS), _runs(snapshots)),
            "observations": _insert(
                database, "observations", len(observation_columns), _observations(snapshots)
            ),
            "isolations": _insert(
                database, "isolations", len(ISOLATION_COLUMNS), _isolations(snapshots)
            ),
        }
        for table, columns in INDEXES.items():
            for column in columns:
                database.execute(f'CREATE INDEX "{table}_{column}" ON "{table}" ("{column}")')
        database.commit()
    finally:
        database.close()
    os.replace(temporary, out)
    return written
