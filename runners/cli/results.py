"""``censorprobe diff | timeline | report``: the researcher's side of the results."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from runners.cli.display import console
from runners.cli.run import fail
from snapshots.diff import (
    CENSORSHIP_CHANGES,
    DIFF_COLUMNS,
    ChangeKind,
    DiffResult,
    Side,
    diff_snapshots,
    diff_vantages,
    vantages,
)
from snapshots.store import SnapshotError, find_snapshots, resolve_snapshot
from snapshots.tabular import markdown_table, write_csv
from snapshots.timeline import STATE_CODES, TIMELINE_COLUMNS, KeyTimeline, timeline

__all__ = [
    "EXIT_CHANGED",
    "diff_command",
    "print_diff",
    "report_command",
    "timeline_command",
    "write_report",
]

#: ``diff --fail-on-change`` exits with this when censorship changed between the two sides.
EXIT_CHANGED = 3
_TABLE_ROWS = 500
_STRIP_WIDTH = 40
_KIND_STYLES = {
    ChangeKind.NEWLY_CENSORED: "bold red",
    ChangeKind.NO_LONGER_CENSORED: "bold green",
    ChangeKind.SIGNAL_CHANGED: "yellow",
    ChangeKind.COUNT_SHIFT: "cyan",
    ChangeKind.ONLY_IN_A: "magenta",
    ChangeKind.ONLY_IN_B: "magenta",
    ChangeKind.INCONCLUSIVE: "dim",
}

ResultsOption = Annotated[Path, typer.Option(help="Results folder (where aliases are looked up).")]


class DiffFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    markdown = "markdown"


class TimelineFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


class DiffBy(StrEnum):
    vantage = "vantage"


def _side(side: Side | None) -> str:
    return "—" if side is None else side.label()


def print_diff(result: DiffResult, limit: int = _TABLE_ROWS) -> None:
    """The diff as a rich table (at most ``limit`` rows) with a one-line summary."""
    counts = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in result.counts().items() if n)
    console.print(
        f"[bold]{result.a}[/bold] → [bold]{result.b}[/bold]: {result.compared} keys compared, "
        f"{result.unchanged} unchanged" + (f"; {counts}" if counts else "; no changes")
    )
    if not result.changes:
        return
    table = Table(show_lines=False)
    for column in ("change", "key", "A", "B", "shift"):
        table.add_column(
            column,
            justify="right" if column == "shift" else "left",
            overflow="fold" if column == "key" else "ellipsis",
        )
    for change in result.changes[:limit]:
        style = _KIND_STYLES[change.kind]
        shift = change.shift if change.kind == ChangeKind.COUNT_SHIFT else None
        table.add_row(
            f"[{style}]{change.kind.replace('_', ' ')}[/{style}]",
            change.key,
            _side(change.a),
            _side(change.b),
            "" if shift is None else f"{shift:+.0%}",
        )
    console.print(table)
    if len(result.changes) > limit:
        console.print(f"… {len(result.changes) - limit} more; use --format csv or json for all")
    if result.of_kind(ChangeKind.INCONCLUSIVE):
        console.print("[dim]inconclusive: an error on either side; no conclusion either way[/dim]")


def _vantage_diff(names: list[str], results: Path, threshold: float) -> DiffResult:
    if len(names) not in (1, 3):
        raise fail("with --by vantage give RUN, or RUN VANTAGE_A VANTAGE_B")
    run = resolve_snapshot(names[0], results)
    if len(names) == 3:
        return diff_vantages(run, names[1], names[2], count_threshold=threshold)
    found = vantages(run)
    if len(found) != 2:
        raise fail(
            f"run {run.run_id} has {len(found)} vantage point(s) ({', '.join(found) or 'none'}): "
            "name the two to compare, RUN VANTAGE_A VANTAGE_B"
        )
    return diff_vantages(run, found[0], found[1], count_threshold=threshold)


def diff_command(
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="A B",
            help="Two snapshots, older first: folder path, run id, `latest` or `previous`. "
            "With --by vantage: RUN [VANTAGE_A VANTAGE_B].",
        ),
    ],
    by: Annotated[
        DiffBy | None, typer.Option("--by", help="Compare the vantage points of one run.")
    ] = None,
    count_threshold: Annotated[
        float, typer.Option(help="Report result counts that moved by more than this (relative).")
    ] = 0.5,
    output: Annotated[DiffFormat, typer.Option("--format", help="Output format.")] = (
        DiffFormat.table
    ),
    fail_on_change: Annotated[
        bool,
        typer.Option(
            "--fail-on-change",
            help=f"Exit {EXIT_CHANGED} when censorship changed (newly or no longer censored, "
            "or another signal).",
        ),
    ] = False,
    results: ResultsOption = Path("results"),
) -> None:
    """Compare two snapshots key by key: what started or stopped being censored, and how."""
    try:
        if by is DiffBy.vantage:
            result = _vantage_diff(names, results, count_threshold)
        elif len(names) != 2:
            raise fail("give two snapshots, A (older) and B (newer)")
        else:
            a, b = (resolve_snapshot(name, results) for name in names)
            result = diff_snapshots(a, b, count_threshold=count_threshold)
    except (SnapshotError, ValueError) as exc:
        raise fail(str(exc)) from None
    if output is DiffFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    elif output is DiffFormat.csv:
        write_csv(DIFF_COLUMNS, result.rows(), sys.stdout)
    elif output is DiffFormat.markdown:
        sys.stdout.write(f"Changes from `{result.a}` to `{result.b}`\n\n")
        sys.stdout.write(markdown_table(DIFF_COLUMNS, result.rows()))
    else:
        print_diff(result)
    if fail_on_change and result.censorship_changed:
        kinds = sorted(str(kind) for kind in CENSORSHIP_CHANGES)
        raise fail(f"censorship changed ({', '.join(kinds)})", EXIT_CHANGED)


def _short(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _print_timeline(entries: list[KeyTimeline]) -> None:
    legend = ", ".join(f"{code} {state}" for state, code in STATE_CODES.items())
    table = Table(caption=f"strip: oldest → newest (last {_STRIP_WIDTH}); {legend}")
    for column in ("key", "now", "flips", "first censored", "last censored", "seen", "strip"):
        table.add_column(
            column,
            justify="right" if column in {"flips", "seen"} else "left",
            overflow="fold" if column == "key" else "ellipsis",
        )
    for entry in entries:
        table.add_row(
            entry.key,
            entry.current.state,
            str(entry.flips),
            _short(entry.first_censored),
            _short(entry.last_censored),
            str(entry.observations),
            entry.strip[-_STRIP_WIDTH:],
        )
    console.print(table)


def timeline_command(
    platform: Annotated[
        list[str] | None, typer.Option("--platform", "-p", help="Only this platform; repeatable.")
    ] = None,
    term: Annotated[
        list[str] | None, typer.Option("--term", "-t", help="Only this term id; repeatable.")
    ] = None,
    category: Annotated[
        list[str] | None, typer.Option("--category", "-c", help="Only this category; repeatable.")
    ] = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"], help="Only observations from then on (UTC)."
        ),
    ] = None,
    output: Annotated[TimelineFormat, typer.Option("--format", help="Output format.")] = (
        TimelineFormat.table
    ),
    results: ResultsOption = Path("results"),
) -> None:
    """Every key across every snapshot: verdicts over time, first and last censored, flips."""
    if not find_snapshots(results):
        raise fail(f"no snapshots under {results}")
    entries = timeline(
        results,
        platforms=platform or (),
        terms=term or (),
        categories=category or (),
        since=since,
        with_points=output is TimelineFormat.json,
    )
    if output is TimelineFormat.json:
        sys.stdout.write("[")
        for number, entry in enumerate(entries):
            sys.stdout.write(("," if number else "") + "\n")
            sys.stdout.write(json.dumps(entry.to_json(), ensure_ascii=False))
        sys.stdout.write("\n]\n")
    elif output is TimelineFormat.csv:
        write_csv(TIMELINE_COLUMNS, (entry.row() for entry in entries), sys.stdout)
    else:
        collected = list(entries)
        if not collected:
            console.print("no probe observations match")
            return
        _print_timeline(collected)


def write_report(results_dir: Path, out_path: Path, png_dir: Path | None = None) -> Path:
    """Write the HTML report (and PNG charts to ``png_dir``) and say where it is."""
    # Imported here: the report loads matplotlib, which no other command needs.
    from snapshots.report import write_report as write

    path = write(results_dir, out_path, png_dir=png_dir)
    console.print(f"report: {path}")
    if png_dir is not None:
        charts = [png_dir / f"{name}.png" for name in ("heatmap", "timeline")]
        drawn = [str(chart) for chart in charts if chart.exists()]
        console.print(f"charts: {', '.join(drawn) or 'none (no probe observations)'}")
    return path


def report_command(
    out: Annotated[Path, typer.Option(help="The HTML file to write.")] = Path("report.html"),
    png: Annotated[
        Path | None, typer.Option(help="Also write heatmap.png and timeline.png to this folder.")
    ] = None,
    results: ResultsOption = Path("results"),
) -> None:
    """One self-contained HTML page: summary, heatmap, timeline, changes, notices and evidence."""
    try:
        write_report(results, out, png)
    except SnapshotError as exc:
        raise fail(str(exc)) from None
