"""``censorprobe export``: observations as Parquet, CSV, SQLite (datasette) or OONI JSONL."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from runners.cli.display import console, warn_corrupt_lines, warn_skipped
from runners.cli.exits import fail
from runners.cli.options import ResultsFolder
from snapshots.export import export_observations
from snapshots.ooni import export_ooni
from snapshots.sqlite import export_sqlite
from snapshots.store import Snapshot, SnapshotError, find_snapshots, resolve_snapshot

__all__ = ["ExportFormat", "export_command"]


class ExportFormat(StrEnum):
    parquet = "parquet"
    csv = "csv"
    sqlite = "sqlite"
    ooni = "ooni"


_DEFAULT_OUT = {
    ExportFormat.parquet: "observations.parquet",
    ExportFormat.csv: "observations.csv",
    ExportFormat.sqlite: "results.db",
    ExportFormat.ooni: "measurements.jsonl",
}


def _export(chosen: list[Snapshot], target: Path, output: ExportFormat) -> tuple[int, str]:
    """Write the export; the number of rows written and what they are."""
    if output is ExportFormat.ooni:
        return export_ooni(chosen, target, on_corrupt=warn_skipped), "measurements"
    warn_corrupt_lines([s.observations for s in chosen])
    if output is ExportFormat.sqlite:
        tables = export_sqlite(chosen, target)
        runs, isolations = tables["runs"], tables["isolations"]
        return tables["observations"], f"observations ({runs} runs, {isolations} isolations)"
    return export_observations(chosen, target, output.value), "observations"


def export_command(
    runs: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="RUN",
            help="Snapshots (path, run id, `latest`, `previous`); none: every one.",
        ),
    ] = None,
    output: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            help="parquet or csv: one flat table; sqlite: tables runs, observations and "
            "isolations (for datasette); ooni: OONI's base data format, one JSON line each.",
        ),
    ] = ExportFormat.parquet,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FILE",
            help="Output file (default: observations.parquet, observations.csv, results.db "
            "or measurements.jsonl).",
        ),
    ] = None,
    results: ResultsFolder = Path("results"),
) -> None:
    """Write the observations of snapshots in an open format (columns: results/README.md)."""
    try:
        chosen: list[Snapshot] = (
            [resolve_snapshot(name, results) for name in runs] if runs else find_snapshots(results)
        )
    except SnapshotError as exc:
        raise fail(str(exc)) from None
    if not chosen:
        raise fail(f"no snapshots under {results}")
    target = out or Path(_DEFAULT_OUT[output])
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        rows, what = _export(chosen, target, output)
    except SnapshotError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"wrote {rows} {what} of {len(chosen)} snapshot(s) to {target}",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
