"""One self-contained HTML page about a results folder, and PNG charts for papers.

The page needs nothing but itself: CSS inline, charts as ``data:`` SVG images, and a
Content-Security-Policy that forbids every fetch, so opening it offline works and opening it
online contacts no one (not even the platforms whose saved pages it embeds).

Evidence: each censored observation shows the ``censorprobe evidence ... --body`` command
that prints the raw exchange, the WARC file and offset, and, within a size budget, the saved
response itself. HTML responses are shown made inert (:mod:`snapshots.inert`: rebuilt without
any element or attribute that can fetch, in a sandboxed ``<iframe srcdoc>`` with its own
``default-src 'none'`` policy) and as source text; other responses (JSON APIs) as text.
"""

from __future__ import annotations

import base64
import html
import re
import shlex
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from snapshots.charts import (
    STATE_COLOURS,
    STATE_LABELS,
    cjk_family,
    grid_figure,
    save_png,
    to_svg,
)
from snapshots.confidence import SUSPECTED, confidence_sql
from snapshots.crossplatform import (
    Contrast,
    ContrastKind,
    PlatformComparison,
    compare_platforms,
)
from snapshots.diff import (
    APART,
    DEFAULT_HISTORY,
    Change,
    ChangeKind,
    DiffResult,
    Side,
    diff_snapshots,
    shift_label,
)
from snapshots.duck import ObservationSql, connect
from snapshots.evidence import read_exchange
from snapshots.format import EVIDENCE, Key, SnapshotError, utc_now
from snapshots.inert import inert_frame
from snapshots.store import Snapshot, find_snapshots
from snapshots.timeline import state_of, timeline

__all__ = ["Report", "build_report", "write_report"]

#: Saved responses embedded in one page, all together, and each at most.
EVIDENCE_BUDGET = 8 * 2**20
EVIDENCE_MAX_BODY = 256 * 2**10
_TEXT_PREVIEW = 16 * 2**10
_CHARSET = re.compile(r"charset=[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)
_CONTENT_TYPE = re.compile(r"^content-type:(.*)$", re.IGNORECASE | re.MULTILINE)
_HTML_START = re.compile(rb"^\s*<(!doctype html|html)", re.IGNORECASE)


@dataclass(frozen=True)
class ProbeRow:
    """What the report needs of one probe observation of the latest run."""

    key: str
    term_id: str
    #: The text sent (the variant's, ``法輪功`` for ``falun/traditional``).
    query: str
    term_list: str
    variant: str
    platform: str
    vantage: str
    verdict: str
    signal: str | None
    confidence: str | None
    error_kind: str | None
    result_count: int | None
    notice: str | None
    evidence_offset: int | None
    evidence_sha256: str | None

    @property
    def state(self) -> str:
        return state_of(self.verdict, self.signal)


@dataclass
class Report:
    """The page and the figures drawn for it (``heatmap``, ``timeline``; none without probes)."""

    html: str
    figures: dict[str, Figure] = field(default_factory=dict)


def _latest_probes(snapshot: Snapshot) -> list[ProbeRow]:
    query = ObservationSql()
    source = query.observations(
        "files",
        [snapshot.observations],
        [
            "term",
            "platform",
            "vantage",
            "verdict",
            "signal",
            "confidence",
            "error",
            "result_count",
            "notice",
            "evidence",
            "query",
        ],
    )
    sql = (
        "SELECT key, term.id, coalesce(query, term.text, array_to_string(term.parts, ' ')),"
        f" term.list, term.variant, platform, vantage, verdict, signal, {confidence_sql()},"
        " error.kind, result_count, notice,"
        f' evidence."offset", evidence.sha256 FROM {source} ORDER BY key'
    )
    return [ProbeRow(*row) for row in connect().execute(sql, query.parameters).fetchall()]


class _Labels:
    """Short row and column labels: only as much of the key as tells entries apart."""

    def __init__(self, keys: list[str]) -> None:
        parsed = [k for k in map(Key.parse, keys) if k is not None]
        self.lists = len({k.list for k in parsed}) > 1
        self.platforms = len({k.platform for k in parsed}) > 1
        self.vantages = len({k.vantage for k in parsed}) > 1

    def term(self, key: str) -> str:
        parts = Key.parse(key)
        if parts is None:
            return key
        label = f"{parts.list}/{parts.term}" if self.lists else parts.term
        return label if parts.variant == "original" else f"{label} [{parts.variant}]"

    def column(self, key: str) -> str:
        parts = Key.parse(key)
        if parts is None:
            return ""
        return f"{parts.platform}@{parts.vantage}" if self.vantages else parts.platform

    def row(self, key: str) -> str:
        """A timeline row: the term, and where it was probed when that varies."""
        column = self.column(key)
        return f"{self.term(key)} · {column}" if self.platforms or self.vantages else self.term(key)


#: Rows a chart draws at most (every one labelled); past that the rows with censorship,
#: errors or flips are kept first and the caption says how many were left out.
CHART_MAX_ROWS = 400


@dataclass
class _Grid:
    """The rows of a chart being built: labels, states, which cells are only suspected."""

    columns: list[str]
    rows: list[str] = field(default_factory=list)
    states: list[list[str | None]] = field(default_factory=list)
    suspected: list[list[bool]] = field(default_factory=list)
    left_out: int = 0

    def add(self, label: str) -> tuple[list[str | None], list[bool]]:
        self.rows.append(label)
        self.states.append([None] * len(self.columns))
        self.suspected.append([False] * len(self.columns))
        return self.states[-1], self.suspected[-1]

    def capped(self) -> _Grid:
        """At most :data:`CHART_MAX_ROWS` rows, the ones with something to see first."""
        limit = CHART_MAX_ROWS
        if len(self.rows) <= limit:
            return self
        plain = [all(s in (None, "visible") for s in row) for row in self.states]
        order = sorted(range(len(self.rows)), key=lambda n: plain[n])[:limit]
        kept = sorted(order)
        return _Grid(
            self.columns,
            [self.rows[n] for n in kept],
            [self.states[n] for n in kept],
            [self.suspected[n] for n in kept],
            len(self.rows) - len(kept),
        )

    def figure(self, *, xlabel: str, ylabel: str) -> Figure | None:
        if not self.rows:
            return None
        return grid_figure(
            self.rows,
            self.columns,
            self.states,
            xlabel=xlabel,
            ylabel=ylabel,
            suspected=self.suspected,
        )


_CHART_QUERY = 12


def _with_query(label: str, query: str | None) -> str:
    """A chart label with the text sent beside the term id (cut short), when a font can draw it."""
    if not query or query == label or (not query.isascii() and cjk_family() is None):
        return label
    short = query if len(query) <= _CHART_QUERY else query[: _CHART_QUERY - 1] + "…"
    return f"{label}  {short}"


def _heatmap(probes: list[ProbeRow], labels: _Labels) -> _Grid:
    columns = sorted({labels.column(p.key) for p in probes})
    grid = _Grid(columns)
    cells: dict[str, tuple[list[str | None], list[bool]]] = {}
    for probe in sorted(probes, key=lambda p: labels.term(p.key)):
        row = _with_query(labels.term(probe.key), probe.query)
        if row not in cells:
            cells[row] = grid.add(row)
        states, suspected = cells[row]
        column = columns.index(labels.column(probe.key))
        states[column] = probe.state
        suspected[column] = probe.confidence == SUSPECTED
    return grid.capped()


def _timeline(results: Path, snapshots: list[Snapshot], labels: _Labels) -> tuple[_Grid, str]:
    runs = {snapshot.run_id: number for number, snapshot in enumerate(snapshots)}
    columns = [s.started_at[:16].replace("T", " ") or s.run_id for s in snapshots]
    xlabel = "run (UTC start)"
    if len(set(columns)) < len(columns):  # runs within the same minute: name them instead
        columns, xlabel = [s.run_id for s in snapshots], "run"
    grid = _Grid(columns)
    for entry in timeline(results, with_points=True):
        states, suspected = grid.add(_with_query(labels.row(entry.key), entry.query))
        for point in entry.points:
            if point.run_id in runs:
                states[runs[point.run_id]] = point.state
                suspected[runs[point.run_id]] = point.confidence == SUSPECTED
    return grid.capped(), xlabel


def _e(value: object) -> str:
    return html.escape("" if value is None else str(value))


def _badge(state: str, confidence: str | None = None) -> str:
    """A state's coloured label; a suspected censorship is outlined and says so."""
    colour = STATE_COLOURS.get(state, STATE_COLOURS["censored"])
    label = STATE_LABELS.get(state, state)
    if confidence == SUSPECTED:
        return (
            f'<span class="badge suspected" style="border-color:{colour}">'
            f"{_e(label)} · {SUSPECTED}</span>"
        )
    dark = state in {"notice", "zero_results", "censored", "partial_notice"}
    return (
        f'<span class="badge" style="background:{colour};color:{"#fff" if dark else "#222"}">'
        f"{_e(label)}</span>"
    )


def _side(side: Side | None) -> str:
    if side is None:
        return '<span class="muted">absent</span>'
    count = (
        "" if side.result_count is None else f' <span class="muted">({side.result_count:,})</span>'
    )
    return _badge(state_of(side.verdict, side.signal), side.confidence) + count


def _table(head: list[str], rows: list[list[str]], css: str = "") -> str:
    if not rows:
        return '<p class="muted">None.</p>'
    header = "".join(f"<th>{_e(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    return f'<table class="{css}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def _summary(probes: list[ProbeRow], labels: _Labels) -> str:
    """One row per platform, and per vantage point where the run has several."""
    by_platform: dict[str, Counter[str]] = defaultdict(Counter)
    for probe in probes:
        counter = by_platform[labels.column(probe.key) or probe.platform]
        counter["probes"] += 1
        counter[probe.verdict] += 1
        if probe.verdict == "censored":
            counter[f"signal:{probe.signal}"] += 1
            counter[str(probe.confidence)] += 1
        elif probe.verdict == "error":
            counter[f"error:{probe.error_kind}"] += 1
    rows = []
    for platform, c in sorted(by_platform.items()):
        signals = ", ".join(
            f"{k.split(':', 1)[1]} {v}" for k, v in sorted(c.items()) if k.startswith("signal:")
        )
        errors = ", ".join(
            f"{k.split(':', 1)[1]} {v}" for k, v in sorted(c.items()) if k.startswith("error:")
        )
        share = c["error"] / c["probes"] if c["probes"] else 0.0
        rows.append(
            [
                _e(platform),
                str(c["probes"]),
                str(c["visible"]),
                str(c["censored"]),
                str(c["confirmed"]),
                str(c[SUSPECTED]),
                _e(signals or "–"),
                str(c["error"]),
                _e(errors or "–"),
                f'<span class="{"warn" if share > 0.05 else ""}">{share:.0%}</span>',
            ]
        )
    head = [
        "platform@vantage" if labels.vantages else "platform",
        "probes",
        "visible",
        "censored",
        "confirmed",
        SUSPECTED,
        "by signal",
        "errors",
        "by kind",
        "error share",
    ]
    return _table(head, rows, "numbers")


def _changes(result: DiffResult, labels: _Labels) -> str:
    counts = result.counts()
    summary = " · ".join(f"{kind.replace('_', ' ')} <b>{n}</b>" for kind, n in counts.items())
    head = [
        "change",
        "term",
        "query",
        "where",
        f"before ({result.a})",
        f"after ({result.b})",
        "count shift",
    ]

    def kind(change: Change) -> str:
        label = change.kind.replace("_", " ")
        if change.kind in APART and change.direction:
            label += f" ({change.direction})"
        return f'<span class="kind kind-{change.kind}">{_e(label)}</span>'

    def table(changes: list[Change]) -> str:
        return _table(
            head,
            [
                [
                    kind(c),
                    _e(labels.term(c.key)),
                    f'<span lang="zh">{_e(c.query)}</span>',
                    _e(labels.column(c.key)),
                    _side(c.a),
                    _side(c.b),
                    _e(shift_label(c.a, c.b)) if c.kind == ChangeKind.COUNT_SHIFT else "",
                ]
                for c in changes
            ],
        )

    inconclusive = result.of_kind(ChangeKind.INCONCLUSIVE)
    apart = result.of_kind(*APART)
    main = [c for c in result.changes if c.kind not in {ChangeKind.INCONCLUSIVE, *APART}]
    parts = [
        f"<p>Compared {result.compared:,} keys; {result.unchanged:,} unchanged. {summary}</p>",
        '<p class="muted">Changes of censorship are counted between confirmed verdicts only.</p>',
        table(main),
    ]
    if apart:
        history = ", ".join(result.history)
        parts.append(
            f"<h3>Listed apart: {len(apart)} suspected or unstable</h3>"
            '<p class="muted">Suspected: a silent signal (zero results, soft) nobody confirmed '
            "on a censored side. Unstable: the state went back and forth over the runs read"
            f"{f' ({_e(history)})' if history else ''}. Neither is a change of censorship.</p>"
            + table(apart)
        )
    if inconclusive:
        parts.append(
            f"<details><summary>{len(inconclusive)} inconclusive (an error on either side: no "
            f"conclusion about censorship)</summary>{table(inconclusive)}</details>"
        )
    return "\n".join(parts)


_PLATFORM_ROWS = (
    ContrastKind.HIDDEN_ON_A,
    ContrastKind.HIDDEN_ON_BOTH,
    ContrastKind.NOT_FOUND_ON_B,
    ContrastKind.HIDDEN_ON_B,
    ContrastKind.INCONCLUSIVE,
)


def _platforms(comparison: PlatformComparison) -> str:
    """Hidden on A, found on B: a column per platform pair and vantage point."""
    columns = list(comparison.counts)
    counts = _table(
        ["", *columns],
        [
            [
                _e(kind.describe("A", "B")),
                *(str(comparison.counts[column][kind]) for column in columns),
            ]
            for kind in ContrastKind
        ],
        "numbers",
    )
    grid: dict[str, dict[str, Contrast]] = defaultdict(dict)
    for contrast in comparison.of_kind(*_PLATFORM_ROWS):
        grid[contrast.term][contrast.column] = contrast
    queries = {c.term: c.query for c in comparison.contrasts}

    def cell(contrast: Contrast | None) -> str:
        if contrast is None:
            return '<span class="muted">–</span>'
        text = f'<span class="kind kind-{contrast.kind}">{_e(contrast.describe())}</span>'
        if contrast.a is not None and contrast.a.confidence == SUSPECTED:
            text += (
                f' <span class="suspected-text small">({contrast.platform_a}: {SUSPECTED})</span>'
            )
        return text

    rows = [
        [_e(term), f'<span lang="zh">{_e(queries.get(term))}</span>']
        + [cell(grid[term].get(column)) for column in columns]
        for term in sorted(grid)
    ]
    pairs = ", ".join(f"{a} vs {b}" for a, b in comparison.pairs)
    return (
        f'<p class="muted">Pairs compared: {_e(pairs)}. Each term on a platform known to hide '
        "terms and on its uncensored twin; an error on either side is inconclusive. Terms "
        "visible on both are only counted.</p>"
        + counts
        + _table(["term", "query", *columns], rows, "platforms")
    )


def _content_type(head: str, body: bytes) -> str:
    """The response's media type and charset; HTML is recognised without a header too."""
    match = _CONTENT_TYPE.search(head)
    if match:
        return match.group(1).strip().lower()
    return "text/html" if _HTML_START.search(body[:512]) else "application/octet-stream"


def _decode(body: bytes, content_type: str) -> str:
    """The body as text by its declared charset; UTF-8 when that is unknown or not a text
    encoding (``charset=idna``, ``charset=base64`` ...)."""
    match = _CHARSET.search(content_type)
    try:
        return body.decode(match.group(1) if match else "utf-8", errors="replace")
    except (LookupError, UnicodeError, ValueError, TypeError):  # charset=idna, rot13 ...
        return body.decode("utf-8", errors="replace")


class _Budget:
    """How many bytes of saved responses the page may still embed."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, size: int) -> bool:
        if size > EVIDENCE_MAX_BODY or size > self.left:
            return False
        self.left -= size
        return True


def _evidence(probe: ProbeRow, snapshot: Snapshot, results: Path, budget: _Budget) -> str:
    command = shlex.join(
        ["censorprobe", "evidence", snapshot.run_id, probe.key, "--body", "--results", str(results)]
    )
    parts = [f"<code class=cmd>{_e(command)}</code>"]
    warc = snapshot.folder / EVIDENCE
    if probe.evidence_offset is None or not warc.exists():
        parts.append('<span class="muted">no evidence recorded</span>')
        return "".join(parts)
    parts.append(
        f'<div class="muted small">{_e(snapshot.folder.name)}/{EVIDENCE} @ {probe.evidence_offset}'
        f" · sha256 {_e((probe.evidence_sha256 or '')[:16])}…</div>"
    )
    try:
        stored = read_exchange(warc, probe.evidence_offset)
    except SnapshotError as exc:
        parts.append(f'<div class="muted">saved response unreadable: {_e(exc)}</div>')
        return "".join(parts)
    if stored.key != probe.key:
        problem = (
            f"{warc}@{probe.evidence_offset}: the record there is another key's ({stored.key!r})"
        )
        parts.append(f'<div class="muted">saved response unreadable: {_e(problem)}</div>')
        return "".join(parts)
    size = len(stored.body)
    if not budget.take(size):
        parts.append('<div class="muted small">saved response too large to embed here</div>')
        return "".join(parts)
    content_type = _content_type(stored.response_head, stored.body)
    text = _decode(stored.body, content_type)
    source = f"<pre>{_e(text[:_TEXT_PREVIEW])}</pre>"
    if "html" in content_type:
        view = (
            inert_frame(text)
            + '<div class="muted small">shown without its images, scripts, styles and links '
            "(nothing is fetched)</div>"
            + f"<details><summary>source as text</summary>{source}</details>"
        )
    else:
        view = source
    parts.append(f"<details><summary>saved response ({size:,} bytes)</summary>{view}</details>")
    return "".join(parts)


def _trigger(record: dict[str, Any] | None) -> str:
    if record is None:
        return '<span class="muted">–</span>'
    if not record.get("trigger"):
        return f'<span class="muted small">not isolated: {_e(record.get("error"))}</span>'
    parts = " + ".join(record["trigger"])
    return (
        f'<span lang="zh" class="trigger">{_e(parts)}</span> '
        f'<span class="muted small">({record["queries"]} queries)</span>'
    )


def _confidence(confidence: str | None) -> str:
    if confidence == SUSPECTED:
        return f'<span class="suspected-text">{SUSPECTED}</span>'
    return _e(confidence)


def _censored(probes: list[ProbeRow], snapshot: Snapshot, results: Path, labels: _Labels) -> str:
    budget = _Budget(EVIDENCE_BUDGET)
    isolated = snapshot.isolations()
    rows = [
        [
            _e(labels.term(p.key)),
            f'<span lang="zh">{_e(p.query)}</span>',
            _e(labels.column(p.key)),
            _badge(p.state),
            _confidence(p.confidence),
            "" if p.result_count is None else f"{p.result_count:,}",
            f'<span lang="zh">{_e(p.notice)}</span>'
            if p.notice
            else '<span class="muted">–</span>',
            _trigger(isolated.get(p.key)),
            _evidence(p, snapshot, results, budget),
        ]
        for p in probes
        if p.verdict == "censored"
    ]
    head = [
        "term",
        "query",
        "where",
        "signal",
        "confidence",
        "results",
        "notice",
        "trigger",
        "evidence",
    ]
    return _table(head, rows, "censored")


def _image(figure: Figure | None, alt: str, left_out: int = 0) -> str:
    if figure is None:
        return '<p class="muted">No probe observations to draw.</p>'
    caption = (
        f'<figcaption class="muted small">{left_out:,} more rows with nothing but visible '
        "answers are left out of the chart (<code>censorprobe timeline</code> lists every "
        "key).</figcaption>"
        if left_out
        else ""
    )
    data = base64.b64encode(to_svg(figure).encode("utf-8")).decode("ascii")
    return f'<img class="chart" alt="{_e(alt)}" src="data:image/svg+xml;base64,{data}">{caption}'


def build_report(
    results: Path,
    *,
    pairs: Sequence[tuple[str, str]] | None = None,
    reference_vantage: str | None = None,
) -> Report:
    """The report of every snapshot under ``results``; raises ``SnapshotError`` if there is none.

    ``pairs`` (censoring platform, uncensored twin) default to the cross-platform comparison's
    (:data:`snapshots.crossplatform.DEFAULT_PAIRS`); ``reference_vantage`` as there.
    """
    snapshots = find_snapshots(results)
    if not snapshots:
        raise SnapshotError(f"no snapshots under {results}")
    latest = snapshots[-1]
    previous = snapshots[-2] if len(snapshots) > 1 else None
    probes = _latest_probes(latest)
    labels = _Labels([p.key for p in probes])
    heat_grid = _heatmap(probes, labels)
    heatmap = heat_grid.figure(xlabel="platform", ylabel="term")
    time_grid, time_xlabel = _timeline(results, snapshots, labels)
    timeline_chart = time_grid.figure(xlabel=time_xlabel, ylabel="term")
    if previous is not None:
        history = snapshots[:-2][-DEFAULT_HISTORY:]
        changes = _changes(diff_snapshots(previous, latest, history=history), labels)
        changes_title = f"Changes from {_e(previous.run_id)} to {_e(latest.run_id)}"
    else:
        changes = '<p class="muted">Only one snapshot: nothing to compare yet.</p>'
        changes_title = "Changes"
    try:
        comparison = compare_platforms(latest, pairs, reference_vantage=reference_vantage)
        platforms = _platforms(comparison)
    except ValueError as exc:
        platforms = f'<p class="muted">{_e(exc)}.</p>'
    page = _PAGE.format(
        css=_CSS,
        results=_e(results),
        count=len(snapshots),
        latest=_e(latest.run_id),
        started=_e(latest.started_at),
        status=_e(latest.status),
        generated=_e(utc_now()),
        summary=_summary(probes, labels),
        heatmap=_image(
            heatmap, "Heatmap of the latest verdicts, terms by platform", heat_grid.left_out
        ),
        timeline=_image(timeline_chart, "Verdicts of each term in every run", time_grid.left_out),
        changes_title=changes_title,
        changes=changes,
        platforms=platforms,
        censored=_censored(probes, latest, results, labels),
    )
    figures = {"heatmap": heatmap, "timeline": timeline_chart}
    return Report(page, {name: figure for name, figure in figures.items() if figure is not None})


def write_report(
    results: Path,
    out: Path,
    *,
    png_dir: Path | None = None,
    pairs: Sequence[tuple[str, str]] | None = None,
    reference_vantage: str | None = None,
) -> Path:
    """Write the HTML report to ``out`` (and ``heatmap.png``, ``timeline.png`` to ``png_dir``)."""
    report = build_report(results, pairs=pairs, reference_vantage=reference_vantage)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.html, encoding="utf-8")
    if png_dir is not None:
        for name, figure in report.figures.items():
            save_png(figure, png_dir / f"{name}.png")
    return out


_CSS = """
:root { --ink: #1f2328; --muted: #6e7781; --line: #d0d7de; --bg: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans", "Noto Sans CJK SC",
       "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--ink); margin: 0; }
header { background: #24292f; color: #fff; padding: 18px 32px; }
header h1 { margin: 0 0 4px; font-size: 22px; font-weight: 600; }
header p { margin: 0; color: #d0d7de; }
nav { padding: 8px 32px; background: var(--bg); border-bottom: 1px solid var(--line); }
nav a { margin-right: 16px; color: #0969da; text-decoration: none; }
main { max-width: 1240px; padding: 8px 32px 48px; }
h2 { font-size: 18px; border-bottom: 1px solid var(--line); padding-bottom: 4px; margin-top: 32px; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: var(--bg); font-weight: 600; }
tbody tr:nth-child(even) { background: #fbfcfd; }
table.numbers td:nth-child(n+2):not(:nth-child(7)):not(:nth-child(9)) { text-align: right; }
.badge { display: inline-block; padding: 0 6px; border-radius: 10px; font-size: 12px;
         white-space: nowrap; }
.badge.suspected { background: #fff; color: #222; border: 2px dashed; padding: 0 5px; }
.kind { font-weight: 600; white-space: nowrap; }
.kind-newly_censored { color: #b2182b; } .kind-no_longer_censored { color: #1a7f37; }
.kind-signal_changed { color: #bc4c00; } .kind-inconclusive { color: var(--muted); }
.kind-suspected, .kind-unstable, .suspected-text { color: #6e5400; }
.kind-hidden_on_a, .kind-hidden_on_both { color: #b2182b; font-weight: 600; }
.kind-hidden_on_b, .kind-not_found_on_b { color: #bc4c00; }
h3 { font-size: 15px; margin: 20px 0 4px; }
.muted { color: var(--muted); } .small { font-size: 12px; } .warn { color: #b2182b; font-weight: 600; }
code.cmd { display: block; font-size: 12px; background: var(--bg); padding: 2px 6px;
           border-radius: 4px; word-break: break-all; }
img.chart { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px;
            background: #fff; }
details summary { cursor: pointer; color: #0969da; font-size: 12px; }
iframe { width: 100%; height: 320px; border: 1px solid var(--line); background: #fff; }
pre { max-height: 320px; overflow: auto; background: var(--bg); padding: 8px; font-size: 12px;
      white-space: pre-wrap; overflow-wrap: anywhere; }
footer { color: var(--muted); font-size: 12px; margin-top: 40px; }
"""

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
      content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>censorprobe report — {latest}</title>
<style>{css}</style>
</head>
<body>
<header>
<h1>censorprobe report</h1>
<p>{count} snapshot(s) in <code>{results}</code> · latest run <b>{latest}</b>, started {started},
status {status}</p>
</header>
<nav><a href="#summary">Summary</a><a href="#heatmap">Heatmap</a><a href="#timeline">Timeline</a>
<a href="#changes">Changes</a><a href="#platforms">Across platforms</a>
<a href="#censored">Censored</a></nav>
<main>
<section id="summary"><h2>Summary of the latest run, per platform</h2>
<p class="muted">Probes only (controls left out). An error is never censorship: it tells nothing
about the term.</p>
{summary}</section>
<section id="heatmap"><h2>Latest verdicts: terms × platforms</h2>
<figure>{heatmap}</figure></section>
<section id="timeline"><h2>Timeline: each term in every run</h2>
<figure>{timeline}</figure></section>
<section id="changes"><h2>{changes_title}</h2>
{changes}</section>
<section id="platforms"><h2>Across platforms in the latest run: hidden on A, found on B</h2>
{platforms}</section>
<section id="censored"><h2>Censored in the latest run: notices, triggers and evidence</h2>
<p class="muted">Confidence: <i>confirmed</i> when the platform said so (a notice) or a
confirmation passed (the term inside the platform's truism found nothing while the truism alone
did); <i>suspected</i> when the verdict rests on a silent signal nobody could confirm. The
trigger is the smallest set of words that is still censored (<code>run --isolate</code>), where
the run isolated one.</p>
{censored}</section>
<footer>Generated {generated} by censorprobe. This page loads nothing from the network.</footer>
</main>
</body>
</html>
"""
