"""Observations of one or more snapshots as one flat table: the columns of results/README.md.

Column names follow OONI's measurement envelope where one fits (``measurement_start_time``,
``input``, ``report_id``, ``test_name``, ``test_version``, ``software_name``,
``software_version``), so OONI-aware tools find them; ``run_id`` and ``platform`` say the same
as ``report_id`` and ``test_name`` in our words. Nothing is made up: there is no ``probe_cc``
or ``probe_asn`` (a run knows only its ``vantage`` label; the OONI export, :mod:`snapshots.ooni`,
writes OONI's "unknown" values). No column is named with an SQL reserved word. Controls are
kept, marked by ``role`` and ``control_check``; ``items`` (nested) is left out.
``isolation_trigger`` and ``isolation_queries`` come from the run's ``isolations.jsonl``
(``run --isolate``). Each row points to its evidence: ``run_id``, ``evidence_file`` (relative
to the results folder) and ``evidence_offset`` (``censorprobe evidence RUN KEY`` prints it).

Parquet and the notebook API (:mod:`snapshots.api`) keep the types (lists, UTC timestamps);
CSV and SQLite (:mod:`snapshots.sqlite`) hold lists as JSON arrays and timestamps as ISO 8601
text. CSV cells are neutralised against formulas (:mod:`snapshots.tabular`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

from snapshots.crossplatform import DEFAULT_PAIRS
from snapshots.duck import ObservationSql, connect
from snapshots.format import EVIDENCE
from snapshots.store import Snapshot
from snapshots.tabular import FORMULA_LEADING

if TYPE_CHECKING:
    import duckdb

__all__ = [
    "EXPORT_COLUMNS",
    "EXPORT_FORMATS",
    "TABLE_FORMATS",
    "COLUMN_KINDS",
    "ColumnKind",
    "Selection",
    "export_observations",
    "select_observations",
]


class ColumnKind(StrEnum):
    TEXT = "text"
    INTEGER = "integer"
    TIMESTAMP = "timestamp"
    LIST = "list"


#: Output column -> (SQL expression over the observation ``o``, its run ``m``, its
#: isolation ``i`` and the same probe on the platform's uncensored twin ``t``; kind). Documented one by one in results/README.md ("Export columns").
_COLUMNS: dict[str, tuple[str, ColumnKind]] = {
    "measurement_start_time": ("o.started_at", ColumnKind.TIMESTAMP),
    "report_id": ("o.run_id", ColumnKind.TEXT),
    "run_id": ("o.run_id", ColumnKind.TEXT),
    "software_name": ("m.software_name", ColumnKind.TEXT),
    "software_version": ("m.software_version", ColumnKind.TEXT),
    "test_name": ("o.platform", ColumnKind.TEXT),
    "test_version": ("o.adapter_version", ColumnKind.TEXT),
    "platform": ("o.platform", ColumnKind.TEXT),
    "vantage": ("o.vantage", ColumnKind.TEXT),
    "input": ("o.query", ColumnKind.TEXT),
    "key": ("o.key", ColumnKind.TEXT),
    "role": ("o.role", ColumnKind.TEXT),
    "control_check": ('o."check"', ColumnKind.INTEGER),
    "term_id": ("o.term.id", ColumnKind.TEXT),
    "term_text": ("o.term.text", ColumnKind.TEXT),
    "term_parts": ("o.term.parts", ColumnKind.LIST),
    "term_list": ("o.term.list", ColumnKind.TEXT),
    "term_category": ("o.term.category", ColumnKind.TEXT),
    "term_variant": ("o.term.variant", ColumnKind.TEXT),
    "term_tags": ("o.term.tags", ColumnKind.LIST),
    "term_note": ("o.term.note", ColumnKind.TEXT),
    "verdict": ("o.verdict", ColumnKind.TEXT),
    "signal": ("o.signal", ColumnKind.TEXT),
    "confidence": ("o.confidence", ColumnKind.TEXT),
    "confirmation_result": ("o.confirmation ->> '$.result'", ColumnKind.TEXT),
    "confirmation_reason": ("o.confirmation ->> '$.reason'", ColumnKind.TEXT),
    "error_kind": ("o.error.kind", ColumnKind.TEXT),
    "error_detail": ("o.error.detail", ColumnKind.TEXT),
    "result_count": ("o.result_count", ColumnKind.INTEGER),
    "notice": ("o.notice", ColumnKind.TEXT),
    "fingerprint": ("o.fingerprint", ColumnKind.TEXT),
    "elapsed_ms": ("o.elapsed_ms", ColumnKind.INTEGER),
    "attempts": ("o.attempts", ColumnKind.INTEGER),
    "request_method": ("o.request.method", ColumnKind.TEXT),
    "request_url": ("o.request.url", ColumnKind.TEXT),
    "http_status": ("o.request.status", ColumnKind.INTEGER),
    "controls_opening": ("o.controls.opening", ColumnKind.INTEGER),
    "controls_closing": ("o.controls.closing", ColumnKind.INTEGER),
    "evidence_file": (
        "CASE WHEN o.evidence IS NOT NULL THEN m.evidence_file END",
        ColumnKind.TEXT,
    ),
    "evidence_offset": ('o.evidence."offset"', ColumnKind.INTEGER),
    "evidence_length": ("o.evidence.length", ColumnKind.INTEGER),
    "evidence_sha256": ("o.evidence.sha256", ColumnKind.TEXT),
    "isolation_trigger": ("i.trigger", ColumnKind.LIST),
    "isolation_queries": ("i.queries", ColumnKind.INTEGER),
    "twin_platform": ("t.platform", ColumnKind.TEXT),
    "twin_verdict": ("t.verdict", ColumnKind.TEXT),
    "twin_signal": ("t.signal", ColumnKind.TEXT),
    "twin_result_count": ("t.result_count", ColumnKind.INTEGER),
}
EXPORT_COLUMNS = list(_COLUMNS)
#: Each export column's kind (the SQLite export types its columns with it).
COLUMN_KINDS = {name: kind for name, (_, kind) in _COLUMNS.items()}

#: Formats written by :func:`export_observations`; ``sqlite`` and ``ooni`` have their modules.
TABLE_FORMATS = ("parquet", "csv")
EXPORT_FORMATS = (*TABLE_FORMATS, "sqlite", "ooni")

_READ = [
    "run_id",
    "check",
    "term",
    "query",
    "platform",
    "adapter_version",
    "vantage",
    "started_at",
    "elapsed_ms",
    "attempts",
    "request",
    "verdict",
    "signal",
    "confidence",
    "confirmation",
    "error",
    "result_count",
    "notice",
    "fingerprint",
    "controls",
    "evidence",
]


@dataclass(frozen=True)
class Selection:
    """One SELECT over the observations of some snapshots, with its bound parameters."""

    sql: str
    parameters: dict[str, object]

    def relation(self, connection: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
        return connection.sql(self.sql, params=self.parameters)


def _expression(sql: str, kind: ColumnKind, *, flat: bool, csv: bool) -> str:
    if kind is ColumnKind.TIMESTAMP:
        return f"strftime({sql}, '%Y-%m-%dT%H:%M:%S.%gZ')" if flat else f"{sql}::TIMESTAMPTZ"
    if kind is ColumnKind.LIST and flat:
        return f"to_json({sql})::VARCHAR"
    if kind is ColumnKind.TEXT and csv:
        return (
            f"CASE WHEN list_contains($formula, left({sql}, 1)) THEN '''' || {sql} ELSE {sql} END"
        )
    return sql


def _runs(query: ObservationSql, snapshots: Sequence[Snapshot]) -> str:
    """The runs as a subquery (one row each), their values bound as parallel lists."""
    columns: dict[str, tuple[str, list[Any]]] = {
        "run_id": ("VARCHAR", [s.run_id for s in snapshots]),
        "run_started": ("VARCHAR", [s.started_at for s in snapshots]),
        "software_name": (
            "VARCHAR",
            [str(s.manifest.get("tool", {}).get("name", "")) for s in snapshots],
        ),
        "software_version": (
            "VARCHAR",
            [str(s.manifest.get("tool", {}).get("version", "")) for s in snapshots],
        ),
        "evidence_file": (
            "VARCHAR",
            [
                f"{s.folder.name}/{EVIDENCE}" if (s.folder / EVIDENCE).exists() else None
                for s in snapshots
            ],
        ),
    }
    return _unnest(query, "m", columns)


def _isolations(query: ObservationSql, snapshots: Sequence[Snapshot]) -> str:
    records = [
        (s.run_id, key, record.get("trigger"), record.get("queries"))
        for s in snapshots
        for key, record in s.isolations().items()
        if record.get("trigger")
    ]
    columns: dict[str, tuple[str, list[Any]]] = {
        "run_id": ("VARCHAR", [r[0] for r in records]),
        "key": ("VARCHAR", [r[1] for r in records]),
        "trigger": ("VARCHAR[]", [r[2] for r in records]),
        "queries": ("INTEGER", [r[3] for r in records]),
    }
    return _unnest(query, "i", columns)


def _twins(query: ObservationSql, snapshots: Sequence[Snapshot]) -> str:
    """Probes on an uncensored twin (:data:`snapshots.crossplatform.DEFAULT_PAIRS`), each
    with the censoring platform it answers for (``censoring``)."""
    pairs = {
        "censoring": ("VARCHAR", [a for a, _ in DEFAULT_PAIRS]),
        "twin": ("VARCHAR", [b for _, b in DEFAULT_PAIRS]),
    }
    twins = query.observations(
        "twin_files",
        [s.observations for s in snapshots],
        ["run_id", "platform", "vantage", "term", "verdict", "signal", "result_count"],
    )
    return (
        f"(SELECT p.censoring, x.* FROM {_unnest(query, 'p', pairs)} AS p"
        f" JOIN {twins} AS x ON x.platform = p.twin)"
    )


def _unnest(query: ObservationSql, prefix: str, columns: dict[str, tuple[str, list[Any]]]) -> str:
    selected = ", ".join(
        f"unnest({query.bind(f'{prefix}_{name}', values)}::{kind}[]) AS {name}"
        for name, (kind, values) in columns.items()
    )
    return f"(SELECT {selected})"


def select_observations(
    snapshots: Sequence[Snapshot],
    *,
    flat: bool = False,
    csv: bool = False,
    controls: bool = True,
) -> Selection:
    """Every observation of ``snapshots`` with the export columns, by run start then time.

    ``flat``: lists as JSON text and timestamps as ISO 8601 text (CSV, SQLite); ``csv``: text
    cells neutralised against formulas too. ``controls=False`` leaves control observations out.
    """
    query = ObservationSql()
    source = query.observations(
        "files", [s.observations for s in snapshots], _READ, probes_only=not controls
    )
    if csv:
        query.bind("formula", list(FORMULA_LEADING))
    columns = ",\n    ".join(
        f'{_expression(sql, kind, flat=flat or csv, csv=csv)} AS "{name}"'
        for name, (sql, kind) in _COLUMNS.items()
    )
    sql = (
        f"SELECT {columns}\nFROM {source} AS o\n"
        f"LEFT JOIN {_runs(query, snapshots)} AS m ON m.run_id = o.run_id\n"
        f"LEFT JOIN {_isolations(query, snapshots)} AS i"
        " ON i.run_id = o.run_id AND i.key = o.key AND o.role = 'probe'\n"
        f"LEFT JOIN {_twins(query, snapshots)} AS t ON o.role = 'probe'"
        " AND t.run_id = o.run_id AND t.censoring = o.platform AND t.vantage = o.vantage"
        " AND t.term.list = o.term.list AND t.term.id = o.term.id"
        " AND t.term.variant = o.term.variant\n"
        "ORDER BY m.run_started, o.run_id, o.started_at, o.key"
    )
    return Selection(sql, query.parameters)


def export_observations(snapshots: Sequence[Snapshot], out: Path, fmt: str) -> int:
    """Write every observation of ``snapshots`` to ``out`` as Parquet or CSV; return the rows."""
    if fmt not in TABLE_FORMATS:
        raise ValueError(f"unknown table format {fmt!r}: use one of {', '.join(TABLE_FORMATS)}")
    selection = select_observations(snapshots, csv=fmt == "csv")
    target = str(out).replace("'", "''")
    if fmt == "parquet":
        options = "FORMAT parquet, COMPRESSION zstd"
    else:
        quoted = ", ".join(f'"{n}"' for n, k in COLUMN_KINDS.items() if k is not ColumnKind.INTEGER)
        options = f"FORMAT csv, HEADER, FORCE_QUOTE ({quoted})"
    sql = f"COPY ({selection.sql})\nTO '{target}' ({options})"
    row = connect().execute(sql, selection.parameters).fetchone()
    return int(row[0]) if row else 0
