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

from runners.cli.display import console, warn_corrupt_lines
from runners.cli.exits import EXIT_CHANGED, fail
from runners.cli.options import ResultsFolder
from snapshots.crossplatform import (
    CONTRAST_COLUMNS,
    DEFAULT_PAIRS,
    PlatformComparison,
    compare_platforms,
    parse_pair,
)
from snapshots.diff import (
    APART,
    CENSORSHIP_CHANGES,
    DEFAULT_HISTORY,
    DIFF_COLUMNS,
    Change,
    ChangeKind,
    DiffResult,
    Side,
    diff_snapshots,
    diff_vantages,
    shift_label,
    vantages,
)
from snapshots.filters import Filters
from snapshots.store import Snapshot, SnapshotError, find_snapshots, resolve_snapshot
from snapshots.tabular import markdown_table, write_csv
from snapshots.timeline import (
    STATE_CODES,
    TIMELINE_COLUMNS,
    UNSTABLE_FLIPS,
    KeyTimeline,
    timeline,
)

__all__ = [
    "EXIT_CHANGED",
    "diff_command",
    "print_diff",
    "report_command",
    "timeline_command",
    "write_report",
]

#: ``diff --fail-on-change`` exits with this when censorship changed between the two sides.
_TABLE_ROWS = 500
_STRIP_WIDTH = 40
_KIND_STYLES = {
    ChangeKind.NEWLY_CENSORED: "bold red",
    ChangeKind.NO_LONGER_CENSORED: "bold green",
    ChangeKind.SIGNAL_CHANGED: "yellow",
    ChangeKind.COUNT_SHIFT: "cyan",
    ChangeKind.ONLY_IN_A: "magenta",
    ChangeKind.ONLY_IN_B: "magenta",
    ChangeKind.SUSPECTED: "dim yellow",
    ChangeKind.UNSTABLE: "dim cyan",
    ChangeKind.INCONCLUSIVE: "dim",
}

PlatformOption = Annotated[
    list[str] | None, typer.Option("--platform", "-p", help="Only this platform; repeatable.")
]
CategoryOption = Annotated[
    list[str] | None, typer.Option("--category", "-c", help="Only this category; repeatable.")
]
ListOption = Annotated[
    list[str] | None,
    typer.Option("--list", "-l", help="Only the terms of this keyword list (its id); repeatable."),
]
TermOption = Annotated[
    list[str] | None, typer.Option("--term", "-t", help="Only this term id; repeatable.")
]
PairOption = Annotated[
    list[str] | None,
    typer.Option(
        "--pair",
        metavar="A:B",
        help="Platforms compared (with diff: --by platform): a censoring platform and its "
        "uncensored twin, repeatable (default: "
        + ", ".join(f"{a}:{b}" for a, b in DEFAULT_PAIRS)
        + ").",
    ),
]
ReferenceVantageOption = Annotated[
    str | None,
    typer.Option(
        metavar="VANTAGE",
        help="Platforms compared: the twin as probed from this vantage point, against the "
        "censoring platform from every vantage (default: the same vantage).",
    ),
]
#: What ``--since`` accepts: a date, or a UTC time with or without seconds.
SINCE_FORMATS = [
    "%Y-%m-%d",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d %H:%M:%S",
]


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
    platform = "platform"


def _side(side: Side | None) -> str:
    return "—" if side is None else side.label()


def _changes_table(changes: list[Change], title: str | None = None) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for column in ("change", "key", "query", "A", "B", "shift"):
        table.add_column(
            column,
            justify="right" if column == "shift" else "left",
            overflow="ellipsis" if column == "shift" else "fold",
        )
    for change in changes:
        style = _KIND_STYLES[change.kind]
        label = change.kind.replace("_", " ")
        if change.kind in APART and change.direction:
            label += f" ({change.direction})"
        table.add_row(
            f"[{style}]{label}[/{style}]",
            change.key,
            change.query or "",
            _side(change.a),
            _side(change.b),
            shift_label(change.a, change.b) if change.kind == ChangeKind.COUNT_SHIFT else "",
        )
    return table


def print_diff(result: DiffResult, limit: int = _TABLE_ROWS) -> None:
    """The diff as rich tables (at most ``limit`` rows each) with a one-line summary.

    Changes between confirmed verdicts come first; suspected and unstable keys are listed
    apart (they never count as a change of censorship).
    """
    counts = ", ".join(f"{kind.replace('_', ' ')} {n}" for kind, n in result.counts().items() if n)
    console.print(
        f"[bold]{result.a}[/bold] → [bold]{result.b}[/bold]: {result.compared} keys compared, "
        f"{result.unchanged} unchanged" + (f"; {counts}" if counts else "; no changes")
    )
    if len(result.history) > 2:
        console.print(f"[dim]history read for unstable keys: {', '.join(result.history)}[/dim]")
    main = [change for change in result.changes if change.kind not in APART]
    apart = result.of_kind(*APART)
    for changes, title in (
        (main, None),
        (apart, "not counted as changes of censorship: suspected, unstable"),
    ):
        if not changes:
            continue
        console.print(_changes_table(changes[:limit], title))
        if len(changes) > limit:
            console.print(f"… {len(changes) - limit} more; use --format csv or json for all")
    if apart:
        console.print(
            "[dim]suspected: a silent signal nobody confirmed on either side; unstable: the "
            "state went back and forth over the history[/dim]"
        )
    if result.of_kind(ChangeKind.INCONCLUSIVE):
        console.print("[dim]inconclusive: an error on either side; no conclusion either way[/dim]")


def _vantage_diff(
    names: list[str], results: Path, threshold: float, filters: Filters
) -> DiffResult:
    if len(names) not in (1, 3):
        raise fail("with --by vantage give RUN, or RUN VANTAGE_A VANTAGE_B")
    run = resolve_snapshot(names[0], results)
    if len(names) == 3:
        return diff_vantages(run, names[1], names[2], count_threshold=threshold, filters=filters)
    found = vantages(run)
    if len(found) != 2:
        raise fail(
            f"run {run.run_id} has {len(found)} vantage point(s) ({', '.join(found) or 'none'}): "
            "name the two to compare, RUN VANTAGE_A VANTAGE_B"
        )
    return diff_vantages(run, found[0], found[1], count_threshold=threshold, filters=filters)


def print_platforms(result: PlatformComparison, limit: int = _TABLE_ROWS) -> None:
    """The cross-platform comparison: one summary line per pair and vantage, then the terms."""
    console.print(f"[bold]{result.run_id}[/bold]: platform pairs compared term by term")
    for column in result.counts:
        console.print(f"  {column}: {result.summary(column)}")
    if not result.contrasts:
        return
    table = Table(show_lines=False)
    for column in ("comparison", "term", "query", "A", "B"):
        table.add_column(column, overflow="fold")
    for contrast in result.contrasts[:limit]:
        table.add_row(
            f"{contrast.describe()} [dim]({contrast.column})[/dim]",
            contrast.term,
            contrast.query or "",
            _side(contrast.a),
            _side(contrast.b),
        )
    console.print(table)
    if len(result.contrasts) > limit:
        console.print(f"… {len(result.contrasts) - limit} more; use --format csv or json for all")


def _platform_diff(
    names: list[str], results: Path, pairs: list[str], reference: str | None, filters: Filters
) -> PlatformComparison:
    if len(names) != 1:
        raise fail("with --by platform give one run: RUN")
    chosen = [parse_pair(pair) for pair in pairs] if pairs else None
    run = resolve_snapshot(names[0], results)
    return compare_platforms(run, chosen, reference_vantage=reference, filters=filters)


def _write_platforms(result: PlatformComparison, output: DiffFormat) -> None:
    if output is DiffFormat.json:
        sys.stdout.write(json.dumps(result.to_json(), ensure_ascii=False, indent=2) + "\n")
    elif output is DiffFormat.csv:
        write_csv(CONTRAST_COLUMNS, result.rows(), sys.stdout)
    elif output is DiffFormat.markdown:
        sys.stdout.write(f"Platform pairs compared in `{result.run_id}`\n\n")
        sys.stdout.write(markdown_table(CONTRAST_COLUMNS, result.rows()))
    else:
        print_platforms(result)


def _history(a: Snapshot, b: Snapshot, results: Path, wanted: int) -> list[Snapshot]:
    """The ``wanted`` latest snapshots under ``results`` that started before B, A and B aside."""
    if not wanted:
        return []
    names = {a.run_id, b.run_id}
    earlier = [
        s for s in find_snapshots(results) if s.run_id not in names and s.started_at < b.started_at
    ]
    return earlier[-wanted:]


def diff_command(
    names: Annotated[
        list[str],
        typer.Argument(
            metavar="A B",
            help="Two snapshots, older first: folder path, run id, `latest` or `previous`. "
            "With --by vantage: RUN [VANTAGE_A VANTAGE_B]. With --by platform: RUN.",
        ),
    ],
    by: Annotated[
        DiffBy | None,
        typer.Option(
            "--by",
            help="Compare within one run: its vantage points, or each platform with its "
            "uncensored twin.",
        ),
    ] = None,
    pair: PairOption = None,
    reference_vantage: ReferenceVantageOption = None,
    count_threshold: Annotated[
        float, typer.Option(help="Report result counts that moved by more than this (relative).")
    ] = 0.5,
    history: Annotated[
        int,
        typer.Option(
            min=0,
            metavar="N",
            help="Also read the N latest snapshots under --results that started before B "
            "(besides A): a key whose state went back and forth over them is unstable.",
        ),
    ] = DEFAULT_HISTORY,
    output: Annotated[DiffFormat, typer.Option("--format", help="Output format.")] = (
        DiffFormat.table
    ),
    fail_on_change: Annotated[
        bool,
        typer.Option(
            "--fail-on-change",
            help=f"Exit {EXIT_CHANGED} when censorship changed between confirmed verdicts "
            "(newly or no longer censored, or another signal); suspected and unstable keys "
            "do not count.",
        ),
    ] = False,
    platform: PlatformOption = None,
    category: CategoryOption = None,
    keyword_list: ListOption = None,
    term: TermOption = None,
    results: ResultsFolder = Path("results"),
) -> None:
    """Compare two snapshots key by key: what started or stopped being censored, and how."""
    filters = Filters(platform or (), category or (), keyword_list or (), term or ())
    if by is DiffBy.platform:
        if fail_on_change:
            raise fail("--fail-on-change compares runs; it does not apply to --by platform")
        try:
            found = _platform_diff(names, results, pair or [], reference_vantage, filters)
        except (SnapshotError, ValueError) as exc:
            raise fail(str(exc)) from None
        _write_platforms(found, output)
        return
    if pair or reference_vantage:
        raise fail("--pair and --reference-vantage go with --by platform")
    try:
        if by is DiffBy.vantage:
            result = _vantage_diff(names, results, count_threshold, filters)
        elif len(names) != 2:
            raise fail("give two snapshots, A (older) and B (newer)")
        else:
            a, b = (resolve_snapshot(name, results) for name in names)
            warn_corrupt_lines([a.observations, b.observations])
            result = diff_snapshots(
                a,
                b,
                count_threshold=count_threshold,
                filters=filters,
                history=_history(a, b, results, history),
            )
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
    table = Table(
        caption=f"strip: oldest → newest (last {_STRIP_WIDTH}); {legend}; lower case: "
        f"suspected (a silent signal nobody confirmed); unstable: {UNSTABLE_FLIPS}+ flips"
    )
    columns = ("key", "query", "now", "flips", "first censored", "last censored", "seen", "strip")
    for column in columns:
        table.add_column(
            column,
            justify="right" if column in {"flips", "seen"} else "left",
            overflow="fold" if column in {"key", "query", "now"} else "ellipsis",
        )
    for entry in entries:
        flips = f"{entry.flips} unstable" if entry.unstable else str(entry.flips)
        table.add_row(
            entry.key,
            entry.query or "",
            entry.current.label(),
            f"[yellow]{flips}[/yellow]" if entry.unstable else flips,
            _short(entry.first_censored),
            _short(entry.last_censored),
            str(entry.observations),
            entry.strip[-_STRIP_WIDTH:],
        )
    console.print(table)


def timeline_command(
    platform: PlatformOption = None,
    term: TermOption = None,
    category: CategoryOption = None,
    keyword_list: ListOption = None,
    since: Annotated[
        datetime | None,
        typer.Option(
            formats=SINCE_FORMATS,
            metavar="WHEN",
            help="Only observations from then on (UTC): 2026-12-01, 2026-12-01T18:00 or "
            "2026-12-01T18:00:30.",
        ),
    ] = None,
    output: Annotated[TimelineFormat, typer.Option("--format", help="Output format.")] = (
        TimelineFormat.table
    ),
    results: ResultsFolder = Path("results"),
) -> None:
    """Every key across every snapshot: verdicts over time, first and last censored, flips."""
    found = find_snapshots(results)
    if not found:
        raise fail(f"no snapshots under {results}")
    warn_corrupt_lines([s.observations for s in found])
    entries = timeline(
        results,
        platforms=platform or (),
        terms=term or (),
        categories=category or (),
        lists=keyword_list or (),
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


def write_report(
    results_dir: Path,
    out_path: Path,
    png_dir: Path | None = None,
    pairs: list[str] | None = None,
    reference_vantage: str | None = None,
) -> Path:
    """Write the HTML report (and PNG charts to ``png_dir``) and say where it is."""
    # Imported here: the report loads matplotlib, which no other command needs.
    from snapshots.report import write_report as write

    chosen = [parse_pair(pair) for pair in pairs] if pairs else None
    path = write(
        results_dir,
        out_path,
        png_dir=png_dir,
        pairs=chosen,
        reference_vantage=reference_vantage,
    )
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
    pair: PairOption = None,
    reference_vantage: ReferenceVantageOption = None,
    results: ResultsFolder = Path("results"),
) -> None:
    """One self-contained HTML page: summary, heatmap, timeline, changes, platforms compared,
    notices and evidence."""
    warn_corrupt_lines([s.observations for s in find_snapshots(results)])
    try:
        write_report(results, out, png, pair, reference_vantage)
    except (SnapshotError, ValueError) as exc:
        raise fail(str(exc)) from None
