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

__all__ = ["OBSERVATION_COLUMNS", "connect", "observations_sql"]

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
    "evidence": "STRUCT(sha256 VARCHAR, \"offset\" BIGINT, length BIGINT)",
}


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection whose timestamps print in UTC."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def observations_sql(parameter: str, columns: Iterable[str], *, probes_only: bool = True) -> str:
    """A ``SELECT`` over the files bound to ``$parameter`` (a list of paths), as a subquery.

    ``started_at`` is read as a naive ``TIMESTAMP`` in UTC (the files write ``...Z``).
    ``probes_only`` leaves out control observations, which repeat once per check.
    """
    wanted = list(dict.fromkeys(["key", "role", *columns]))
    spec = ", ".join(f"'{name}': '{OBSERVATION_COLUMNS[name]}'" for name in wanted)
    condition = "key IS NOT NULL"
    if probes_only:
        condition += " AND role IS DISTINCT FROM 'control'"
    return (
        f"(SELECT * FROM read_ndjson(${parameter}, columns = {{{spec}}}, ignore_errors = true)"
        f" WHERE {condition})"
    )


def existing(paths: Sequence[Path]) -> list[str]:
    """The paths that exist, as strings; DuckDB refuses a list naming a missing file."""
    return [str(path) for path in paths if path.exists()]
