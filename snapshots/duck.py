"""Observations as a DuckDB relation, read from the JSONL files in place.

Every reader names its columns explicitly, so DuckDB neither samples the files to infer a
schema (slow over thousands of snapshots, and wrong when a field is null in every sampled
line) nor materialises fields nobody asked for. A torn last line (a killed run) comes back
as a row of nulls and is dropped here; so does a corrupt line, which :func:`corrupt_lines`
finds so that readers report it instead of hiding it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from snapshots.format import OBSERVATION_FIELDS, CorruptLine, iter_jsonl

if TYPE_CHECKING:
    import duckdb  # loaded by connect(): commands that never query (run, isolate) start without it

__all__ = ["ObservationSql", "connect", "corrupt_lines"]


def connect() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection: timestamps in UTC, no progress bar on the terminal."""
    import duckdb

    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    # Inside Jupyter without ipywidgets DuckDB starts with no bar and refuses to set the option.
    [(bar,)] = connection.execute("SELECT current_setting('enable_progress_bar')").fetchall()
    if bar:
        connection.execute("SET enable_progress_bar = false")
    return connection


class ObservationSql:
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
            typed = ", ".join(f'NULL::{OBSERVATION_FIELDS[c]} AS "{c}"' for c in wanted)
            return f"(SELECT {typed} WHERE false)"
        spec = ", ".join(f"'{c}': '{OBSERVATION_FIELDS[c]}'" for c in wanted)
        condition = "key IS NOT NULL"
        if probes_only:
            condition += " AND role IS DISTINCT FROM 'control'"
        placeholder = self.bind(name, paths)
        return (
            f"(SELECT * FROM read_ndjson({placeholder}, columns = {{{spec}}},"
            f" ignore_errors = true) WHERE {condition})"
        )


def corrupt_lines(files: Sequence[Path]) -> list[CorruptLine]:
    """Every corrupt line of ``files`` (by the format's torn-line rule), each naming file and line.

    DuckDB reads the key column alone to find the files with a line it could not read; only
    those are read again line by line, so a clean folder costs one narrow scan.
    """
    paths = [str(path) for path in files if path.exists()]
    if not paths:
        return []
    suspects = connect().execute(
        "SELECT DISTINCT filename FROM read_ndjson($paths, columns = {'key': 'VARCHAR'},"
        " ignore_errors = true, filename = true) WHERE key IS NULL",
        {"paths": paths},
    )
    found: list[CorruptLine] = []
    for (name,) in suspects.fetchall():
        for _ in iter_jsonl(Path(name), found.append):
            pass
    return found
