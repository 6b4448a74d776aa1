"""Grid charts of censorship states (terms x platforms, keys x runs) drawn with matplotlib.

The same figure becomes an SVG for the HTML report and a PNG for papers. Figures are built
with ``matplotlib.figure.Figure`` directly (the Agg canvas, no pyplot and no global state),
so this works headless and in a notebook alike. Every row is labelled. Each cell also
carries its state's letter (lower case when the censorship is only suspected), so the charts
still read in black and white.

Chinese labels need a CJK font: the first of :data:`CJK_FAMILIES` installed (Debian:
``fonts-noto-cjk``), or the font file named by ``CENSORPROBE_CJK_FONT``, is drawn after
DejaVu Sans for the glyphs it lacks (matplotlib's per-glyph fallback). A font installed after
matplotlib cached its font list is found too. :func:`cjk_family` says which one is used;
without any, callers keep labels to Latin text (the report then shows term ids only).
"""

from __future__ import annotations

import io
import logging
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from snapshots.timeline import STATE_CODES

__all__ = [
    "CJK_FAMILIES",
    "CJK_FONT_VARIABLE",
    "STATE_COLOURS",
    "STATE_LABELS",
    "cjk_family",
    "grid_figure",
    "save_png",
    "to_svg",
]

_log = logging.getLogger(__name__)

#: CJK fonts looked for, in order (Linux packages first, then macOS and Windows names).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Micro Hei",
    "WenQuanYi Zen Hei",
    "Droid Sans Fallback",
    "AR PL UMing CN",
    "PingFang SC",
    "Hiragino Sans GB",
    "Microsoft YaHei",
    "SimHei",
    "Arial Unicode MS",
)
#: An environment variable naming a font file (.ttf, .otf, .ttc) to draw Chinese with.
CJK_FONT_VARIABLE = "CENSORPROBE_CJK_FONT"
_LATIN_FAMILY = "DejaVu Sans"
_CJK_FILE = re.compile(r"cjk|wqy|wenquanyi|sourcehan|droidsansfallback|uming|ukai", re.I)

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


def _installed(names: Sequence[str]) -> str | None:
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((name for name in names if name in known), None)


def _add(path: str) -> list[str]:
    """Register a font file with matplotlib; the family names it brought."""
    before = {entry.name for entry in font_manager.fontManager.ttflist}
    try:
        font_manager.fontManager.addfont(path)
    except (OSError, RuntimeError, ValueError) as exc:
        _log.warning("cannot read font %s: %s", path, exc)
        return []
    return sorted({entry.name for entry in font_manager.fontManager.ttflist} - before)


@cache
def cjk_family() -> str | None:
    """The font family charts draw Chinese with; None when none is installed."""
    named = os.environ.get(CJK_FONT_VARIABLE)
    if named:
        families = _add(named) or [
            e.name for e in font_manager.fontManager.ttflist if e.fname == named
        ]
        if families:
            return families[0]
        _log.warning("%s=%s: no font found in that file", CJK_FONT_VARIABLE, named)
    found = _installed(CJK_FAMILIES)
    if found is None:  # installed after matplotlib cached its list of fonts
        for path in font_manager.findSystemFonts():
            if _CJK_FILE.search(Path(path).name):
                _add(path)
        found = _installed(CJK_FAMILIES)
    if found is None:
        _log.warning(
            "no CJK font found (install fonts-noto-cjk, or set %s to a font file): "
            "chart labels show term ids only",
            CJK_FONT_VARIABLE,
        )
    return found


@contextmanager
def _fonts() -> Iterator[None]:
    """Latin glyphs from DejaVu Sans, the others from the CJK font when there is one."""
    family = [_LATIN_FAMILY, *filter(None, [cjk_family()])]
    with rc_context({"font.family": family}):
        yield


_MISSING = "#ffffff"
_LIGHT_TEXT = {"notice", "zero_results", "censored"}
_ANNOTATE_MAX_CELLS = 2500
#: Height of a row and the longest a figure may be, in inches.
_ROW_INCHES = 0.2
_MAX_INCHES = 200.0


def grid_figure(
    rows: Sequence[str],
    columns: Sequence[str],
    states: Sequence[Sequence[str | None]],
    *,
    xlabel: str,
    ylabel: str,
    suspected: Sequence[Sequence[bool]] | None = None,
) -> Figure:
    """One coloured cell per (row, column) state; ``None`` is "not observed" (white).

    A state is ``visible``, ``error`` or a censorship signal; a signal this module does not
    know is drawn as plain ``censored``. ``suspected`` marks the censored cells nobody
    confirmed (their letter is lower case). Every row and column is labelled.
    """
    with _fonts():
        return _grid(rows, columns, states, xlabel, ylabel, suspected)


def _grid(
    rows: Sequence[str],
    columns: Sequence[str],
    states: Sequence[Sequence[str | None]],
    xlabel: str,
    ylabel: str,
    suspected: Sequence[Sequence[bool]] | None,
) -> Figure:
    order = list(STATE_COLOURS)
    known = [
        [None if s is None else s if s in STATE_COLOURS else "censored" for s in r] for r in states
    ]
    grid = [[0 if s is None else order.index(s) + 1 for s in r] for r in known]
    longest = max(map(len, rows), default=0)
    rotate = max(map(len, columns), default=0) > 6
    width = min(2.5 + 0.075 * longest + 0.42 * len(columns), 16.0)
    height = min(
        1.2
        + _ROW_INCHES * len(rows)
        + (0.08 * max(map(len, columns), default=0) if rotate else 0.3),
        _MAX_INCHES,
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
                    code = STATE_CODES.get(state, "C")
                    axes.text(
                        x,
                        y,
                        code.lower() if suspected and suspected[y][x] else code,
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=colour,
                        family=_LATIN_FAMILY,  # a letter: no fallback font to search
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
    """A tick and its label for every row (or column): none is left out."""
    positions = list(range(len(labels)))
    if axis == "x":
        axes.set_xticks(positions, labels, rotation=rotation, ha="right" if rotation else "center")
    else:
        axes.set_yticks(positions, labels)


def to_svg(figure: Figure) -> str:
    """The figure as SVG text, with text kept as text (small, searchable)."""
    buffer = io.StringIO()
    with _fonts(), rc_context({"svg.fonttype": "none", "svg.hashsalt": "censorprobe"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


#: The most pixels a PNG side may have (Agg's limit is 2**16); tall charts get a lower dpi.
_MAX_PIXELS = 60_000


def save_png(figure: Figure, path: Path, dpi: int = 200) -> Path:
    """The figure as a PNG, its CJK labels drawn with :func:`cjk_family`'s font."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tallest = max(figure.get_size_inches())
    with _fonts():
        figure.savefig(
            path,
            format="png",
            dpi=min(dpi, int(_MAX_PIXELS / tallest)),
            metadata={"Software": None},
        )
    return path
