"""The Python API for notebooks and scripts: a results folder, read without the command line.

::

    from snapshots.api import Results

    results = Results("results")
    results.runs()                                  # every snapshot, oldest first
    censored = results.observations().filter("verdict = 'censored'")
    censored.aggregate("platform, signal, count(*) AS probes")   # a DuckDB relation
    frame = results.frame("latest")                 # a pandas DataFrame (needs pandas)
    results.manifest("latest")["counts"]            # one snapshot's manifest
    results.diff("previous", "latest")              # the changes, one dict per row
    results.exchange(row["run_id"], row["evidence_offset"]).body   # the page behind a row

Observations have the export columns (results/README.md, "Export columns"), typed: lists are
lists and ``measurement_start_time`` a UTC timestamp. A relation is lazy, read from the
snapshot files when asked; ``.df()`` makes a pandas frame and ``.pl()`` a polars one. Run
names are what the command line takes: a run id, ``latest``, ``previous`` or a folder. A
corrupt observation line is left out with a warning naming its file and line, as the
folder-wide commands do. docs/notebook.ipynb walks through it.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb

from snapshots.diff import DEFAULT_COUNT_THRESHOLD, DIFF_COLUMNS, diff_snapshots
from snapshots.duck import connect, corrupt_lines
from snapshots.evidence import StoredExchange, read_exchange
from snapshots.export import EXPORT_COLUMNS, select_observations
from snapshots.format import EVIDENCE
from snapshots.store import Snapshot, find_snapshots, resolve_snapshot

if TYPE_CHECKING:
    import pandas

__all__ = ["DIFF_COLUMNS", "EXPORT_COLUMNS", "Results"]


class Results:
    """One results folder (``results/`` by default), as a notebook reads it."""

    def __init__(self, folder: str | os.PathLike[str] = "results") -> None:
        self.folder = Path(folder)
        #: The DuckDB connection the relations run on (join them with your own tables here).
        self.connection = connect()

    def __repr__(self) -> str:
        return f"Results({str(self.folder)!r})"

    def runs(self) -> list[Snapshot]:
        """Every snapshot in the folder, oldest first (a bad manifest is skipped, with a warning)."""
        return find_snapshots(self.folder)

    def snapshot(self, name: str = "latest") -> Snapshot:
        """One snapshot by run id, ``latest``, ``previous`` or folder path."""
        return resolve_snapshot(name, self.folder)

    def manifest(self, name: str = "latest") -> dict[str, Any]:
        """One snapshot's manifest (results/README.md): tool, lists, config, status, counts."""
        return self.snapshot(name).manifest

    def _chosen(self, runs: Sequence[str]) -> list[Snapshot]:
        return [self.snapshot(name) for name in runs] if runs else self.runs()

    def observations(self, *runs: str, controls: bool = False) -> duckdb.DuckDBPyRelation:
        """The observations of ``runs`` (every run when none is named) as a DuckDB relation.

        Probes only unless ``controls``: a control repeats once per check of its window.
        """
        chosen = self._chosen(runs)
        for error in corrupt_lines([s.observations for s in chosen]):
            warnings.warn(f"skipped {error}", stacklevel=2)
        return select_observations(chosen, controls=controls).relation(self.connection)

    def frame(self, *runs: str, controls: bool = False) -> pandas.DataFrame:
        """:meth:`observations` as a pandas DataFrame (pandas must be installed)."""
        return self.observations(*runs, controls=controls).df()

    def diff(
        self,
        a: str = "previous",
        b: str = "latest",
        *,
        count_threshold: float = DEFAULT_COUNT_THRESHOLD,
    ) -> list[dict[str, Any]]:
        """What changed from snapshot ``a`` to ``b``, one dict per key (columns: DIFF_COLUMNS)."""
        result = diff_snapshots(self.snapshot(a), self.snapshot(b), count_threshold=count_threshold)
        return result.rows()

    def exchange(self, run: str, offset: int) -> StoredExchange:
        """The request and response recorded at ``offset`` of a run's WARC (``evidence_offset``)."""
        return read_exchange(self.snapshot(run).folder / EVIDENCE, int(offset))
