"""Observations as a DuckDB relation, read from the JSONL files in place.

Every reader names its columns explicitly, so DuckDB neither samples the files to infer a
schema (slow over thousands of snapshots, and wrong when a field is null in every sampled
line) nor materialises fields nobody asked for. A torn last line (a killed run) comes back
as a row of nulls and is dropped here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import duckdb

__all__ = ["OBSERVATION_COLUMNS", "Query", "connect"]

#: The observation format of ``results/README.md`` as DuckDB types.
OBSERVATION_COLUMNS: dict[str, str] = {
    "schema": "VARCHAR",
    "run_id": "VARCHAR",
    "key": "VARCHAR",
    "role": "VARCHAR",
    "check": "INTEGER",
    "term": (
        "STRUCT(id VARCHAR, text VARCHAR, parts VARCHAR[], list VARCHAR, category VARCHAR,"
        " variant VARCHAR)"
    ),
    "query": "VARCHAR",
    "platform": "VARCHAR",
    "adapter_version": "VARCHAR",
    "vantage": "VARCHAR",
    "started_at": "TIMESTAMP",
    "elapsed_ms": "BIGINT",
    "attempts": "INTEGER",
    "request": "STRUCT(method VARCHAR, url VARCHAR, status INTEGER)",
    "verdict": "VARCHAR",
    "signal": "VARCHAR",
    "error": "STRUCT(kind VARCHAR, detail VARCHAR)",
    "result_count": "BIGINT",
    "notice": "VARCHAR",
    "fingerprint": "VARCHAR",
    "controls": "STRUCT(opening INTEGER, closing INTEGER)",
    "evidence": 'STRUCT(sha256 VARCHAR, "offset" BIGINT, length BIGINT)',
}


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection: timestamps in UTC, no progress bar on the terminal."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    connection.execute("SET enable_progress_bar = false")
    return connection


class Query:
    """One SQL statement over observation files, with the file lists bound as parameters."""

    def __init__(self) -> None:
        self.parameters: dict[str, object] = {}

    def bind(self, name: str, value: object) -> str:
        """Bind a value (never pasted into the SQL text) and return its placeholder."""
        self.parameters[name] = value
        return f"${name}"

    def observations(
        self, name: str, files: Sequence[Path], columns: Iterable[str], *, probes_only: bool = True
    ) -> str:
        """A subquery over the observations of ``files`` with ``key``, ``role`` and ``columns``.

        ``started_at`` is a naive ``TIMESTAMP`` in UTC (the files write ``...Z``).
        ``probes_only`` leaves out control observations, which repeat once per check. Files that
        do not exist (a run that wrote no observation yet) count as empty.
        """
        wanted = list(dict.fromkeys(["key", "role", *columns]))
        paths = [str(path) for path in files if path.exists()]
        if not paths:
            typed = ", ".join(f'NULL::{OBSERVATION_COLUMNS[c]} AS "{c}"' for c in wanted)
            return f"(SELECT {typed} WHERE false)"
        spec = ", ".join(f"'{c}': '{OBSERVATION_COLUMNS[c]}'" for c in wanted)
        condition = "key IS NOT NULL"
        if probes_only:
            condition += " AND role IS DISTINCT FROM 'control'"
        placeholder = self.bind(name, paths)
        return (
            f"(SELECT * FROM read_ndjson({placeholder}, columns = {{{spec}}},"
            f" ignore_errors = true) WHERE {condition})"
        )
