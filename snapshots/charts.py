"""Grid charts of censorship states (terms x platforms, keys x runs) drawn with matplotlib.

The same figure becomes an SVG for the HTML report and a PNG for papers. Figures are built
with ``matplotlib.figure.Figure`` directly (the Agg canvas, no pyplot and no global state),
so this works headless and in a notebook alike. Labels are term ids and platform names, not
the Chinese term text: a CJK font is often missing on servers. Each cell also carries its
state's letter, so the charts still read in black and white.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from snapshots.timeline import STATE_CODES

__all__ = ["STATE_COLOURS", "STATE_LABELS", "grid_figure", "save_png", "to_svg"]

#: Colour of each state: calm for visible, warm for censorship, grey for no conclusion.
STATE_COLOURS: dict[str, str] = {
    "visible": "#cfe3cf",
    "notice": "#b2182b",
    "partial_notice": "#ef8a62",
    "zero_results": "#6a3d9a",
    "soft": "#e6ab02",
    "censored": "#d6604d",
    "error": "#9e9e9e",
}
STATE_LABELS: dict[str, str] = {
    "visible": "visible",
    "notice": "censored: notice",
    "partial_notice": "censored: partial notice",
    "zero_results": "censored: zero results",
    "soft": "censored: soft (allow-list)",
    "censored": "censored",
    "error": "error (no conclusion)",
}
_MISSING = "#ffffff"
_LIGHT_TEXT = {"notice", "zero_results", "censored"}
_ANNOTATE_MAX_CELLS = 2500
_LABEL_MAX = 120


def grid_figure(
    rows: Sequence[str],
    columns: Sequence[str],
    states: Sequence[Sequence[str | None]],
    *,
    xlabel: str,
    ylabel: str,
) -> Figure:
    """One coloured cell per (row, column) state; ``None`` is "not observed" (white).

    A state is ``visible``, ``error`` or a censorship signal; a signal this module does not
    know is drawn as plain ``censored``.
    """
    order = list(STATE_COLOURS)
    known = [
        [None if s is None else s if s in STATE_COLOURS else "censored" for s in r] for r in states
    ]
    grid = [[0 if s is None else order.index(s) + 1 for s in r] for r in known]
    longest = max(map(len, rows), default=0)
    rotate = max(map(len, columns), default=0) > 6
    width = min(2.5 + 0.075 * longest + 0.42 * len(columns), 16.0)
    height = min(
        1.2 + 0.26 * len(rows) + (0.08 * max(map(len, columns), default=0) if rotate else 0.3), 40.0
    )
    figure = Figure(figsize=(max(width, 4.5), max(height, 2.5)), layout="constrained")
    axes = figure.add_subplot()
    axes.imshow(
        grid,
        cmap=ListedColormap([_MISSING, *STATE_COLOURS.values()]),
        vmin=0,
        vmax=len(order),
        aspect="auto",
        interpolation="nearest",
    )
    if len(rows) * len(columns) <= _ANNOTATE_MAX_CELLS:
        for y, row in enumerate(known):
            for x, state in enumerate(row):
                if state:
                    colour = "white" if state in _LIGHT_TEXT else "#333333"
                    axes.text(
                        x,
                        y,
                        STATE_CODES.get(state, "C"),
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=colour,
                    )
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    _ticks(axes, "y", rows)
    _ticks(axes, "x", columns, rotation=45 if rotate else 0)
    axes.tick_params(labelsize=8, length=0)
    for spine in axes.spines.values():
        spine.set_visible(False)
    used = {state for row in known for state in row if state}
    handles = [
        Patch(facecolor=STATE_COLOURS[s], edgecolor="#666666", label=STATE_LABELS[s])
        for s in order
        if s in used
    ]
    if handles:
        figure.legend(handles=handles, loc="outside right upper", fontsize=8, frameon=False)
    return figure


def _ticks(axes: Axes, axis: str, labels: Sequence[str], rotation: float = 0) -> None:
    """Every label when they fit, else about ``_LABEL_MAX`` evenly spaced ones."""
    step = max(1, -(-len(labels) // _LABEL_MAX))
    positions = list(range(0, len(labels), step))
    shown = [labels[p] for p in positions]
    if axis == "x":
        axes.set_xticks(positions, shown, rotation=rotation, ha="right" if rotation else "center")
    else:
        axes.set_yticks(positions, shown)


def to_svg(figure: Figure) -> str:
    """The figure as SVG text, with text kept as text (small, searchable)."""
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none", "svg.hashsalt": "censorprobe"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def save_png(figure: Figure, path: Path, dpi: int = 200) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png", dpi=dpi, metadata={"Software": None})
    return path
