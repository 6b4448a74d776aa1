"""Observations of one or more snapshots as one flat table (Parquet or CSV), written by DuckDB.

Column names follow OONI's measurement envelope where one fits (``measurement_start_time``,
``input``, ``report_id``, ``test_name``, ``test_version``, ``software_name``,
``software_version``); the rest are ours. Nothing is made up: there is no ``probe_cc`` or
``probe_asn`` because a run knows only its ``vantage`` label. Controls are kept, marked by
``role`` and ``check``; ``items`` (nested) is left out. ``trigger`` (parts joined by `` + ``)
and ``trigger_queries`` come from the run's ``isolations.jsonl`` (``run --isolate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from snapshots.duck import Query, connect
from snapshots.format import EVIDENCE
from snapshots.store import Snapshot

__all__ = ["EXPORT_COLUMNS", "EXPORT_FORMATS", "export_observations"]

EXPORT_FORMATS = ("parquet", "csv")

#: Output column -> SQL expression over the observation (``o``) and its run's manifest (``m``).
_SELECT: dict[str, str] = {
    "measurement_start_time": "o.started_at::TIMESTAMPTZ",
    "report_id": "o.run_id",
    "software_name": "m.software_name",
    "software_version": "m.software_version",
    "test_name": "o.platform",
    "test_version": "o.adapter_version",
    "vantage": "o.vantage",
    "input": "o.query",
    "key": "o.key",
    "role": "o.role",
    "check": 'o."check"',
    "term_id": "o.term.id",
    "term_text": "o.term.text",
    "term_list": "o.term.list",
    "term_category": "o.term.category",
    "term_variant": "o.term.variant",
    "verdict": "o.verdict",
    "signal": "o.signal",
    "error_kind": "o.error.kind",
    "error_detail": "o.error.detail",
    "result_count": "o.result_count",
    "notice": "o.notice",
    "fingerprint": "o.fingerprint",
    "elapsed_ms": "o.elapsed_ms",
    "attempts": "o.attempts",
    "request_method": "o.request.method",
    "request_url": "o.request.url",
    "http_status": "o.request.status",
    "controls_opening": "o.controls.opening",
    "controls_closing": "o.controls.closing",
    "evidence_file": "CASE WHEN o.evidence IS NOT NULL THEN m.evidence_file END",
    "evidence_offset": 'o.evidence."offset"',
    "evidence_length": "o.evidence.length",
    "evidence_sha256": "o.evidence.sha256",
    "trigger": "i.trigger",
    "trigger_queries": "i.queries",
}
EXPORT_COLUMNS = list(_SELECT)
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
    "error",
    "result_count",
    "notice",
    "fingerprint",
    "controls",
    "evidence",
]


def export_observations(snapshots: Sequence[Snapshot], out: Path, fmt: str) -> int:
    """Write every observation of ``snapshots`` to ``out``; return the number of rows.

    ``evidence_file`` is the run's WARC file relative to the results folder
    (``evidence_offset`` points into it); rows are ordered by run start, then observation start.
    """
    if fmt not in EXPORT_FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: use one of {', '.join(EXPORT_FORMATS)}")
    query = Query()
    source = query.observations(
        "files", [s.observations for s in snapshots], _READ, probes_only=False
    )
    manifests = [
        (
            s.run_id,
            s.started_at,
            str(s.manifest.get("tool", {}).get("name", "")),
            str(s.manifest.get("tool", {}).get("version", "")),
            f"{s.folder.name}/{EVIDENCE}" if (s.folder / EVIDENCE).exists() else None,
        )
        for s in snapshots
    ]
    connection = connect()
    connection.execute(
        "CREATE TEMP TABLE m (run_id VARCHAR, run_started VARCHAR, software_name VARCHAR,"
        " software_version VARCHAR, evidence_file VARCHAR)"
    )
    if manifests:
        connection.executemany("INSERT INTO m VALUES (?, ?, ?, ?, ?)", manifests)
    triggers = [
        (s.run_id, key, " + ".join(record["trigger"]), record.get("queries"))
        for s in snapshots
        for key, record in s.isolations().items()
        if record.get("trigger")
    ]
    connection.execute(
        "CREATE TEMP TABLE i (run_id VARCHAR, key VARCHAR, trigger VARCHAR, queries INTEGER)"
    )
    if triggers:
        connection.executemany("INSERT INTO i VALUES (?, ?, ?, ?)", triggers)
    select = dict(_SELECT)
    if fmt == "csv":  # a typed timestamp in Parquet; ISO 8601 text in CSV
        select["measurement_start_time"] = "strftime(o.started_at, '%Y-%m-%dT%H:%M:%S.%gZ')"
    columns = ",\n    ".join(f'{expression} AS "{name}"' for name, expression in select.items())
    target = str(out).replace("'", "''")
    options = "FORMAT parquet, COMPRESSION zstd" if fmt == "parquet" else "FORMAT csv, HEADER"
    sql = (
        f"COPY (SELECT {columns}\nFROM {source} AS o LEFT JOIN m USING (run_id)\n"
        "LEFT JOIN i ON i.run_id = o.run_id AND i.key = o.key AND o.role = 'probe'\n"
        f"ORDER BY m.run_started, o.run_id, o.started_at, o.key)\nTO '{target}' ({options})"
    )
    row = connection.execute(sql, query.parameters).fetchone()
    return int(row[0]) if row else 0
