"""The report's charts: every row labelled, Chinese drawn with a real font, in PNG and in Chromium."""

from __future__ import annotations

import base64
import re
import warnings
from pathlib import Path

import numpy
import pytest
from matplotlib import image
from snapshot_maker import probe, write_snapshot
from test_report import needs_chromium, render

from snapshots import report
from snapshots.charts import cjk_family, grid_figure, save_png, to_svg
from snapshots.report import build_report

needs_cjk_font = pytest.mark.skipif(
    cjk_family() is None, reason="no CJK font installed (apt-get install fonts-noto-cjk)"
)


def _svgs(page: str) -> list[str]:
    found = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', page)
    return [base64.b64decode(data).decode("utf-8") for data in found]


def test_every_row_of_both_charts_is_labelled(tmp_path: Path) -> None:
    """70 terms on two platforms over two runs: no row of 140 loses its label (every other one
    did past 120)."""
    results = tmp_path / "results"
    terms = [f"term-{n:03d}" for n in range(70)]
    for day in (1, 2):
        rows = [probe(t, "visible", count=5, platform=p) for t in terms for p in ("weibo", "bing")]
        write_snapshot(results, f"day{day}", f"2026-10-0{day}T08:00:00.000Z", rows)
    heatmap, timeline = _svgs(build_report(results).html)
    for term in terms:
        assert f"{term}  词{term}" in heatmap or (cjk_family() is None and term in heatmap)
        assert f"{term} · weibo" in timeline and f"{term} · bing" in timeline


def test_a_chart_past_its_rows_keeps_the_censored_ones_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "CHART_MAX_ROWS", 30)
    results = tmp_path / "results"
    rows = [probe(f"plain-{n:04d}", "visible", count=5) for n in range(30 + 20)]
    rows.append(probe("zzz-hidden", "censored", signal="notice"))
    write_snapshot(results, "run", "2026-10-01T08:00:00.000Z", rows)
    page = build_report(results).html
    heatmap = _svgs(page)[0]
    assert "zzz-hidden" in heatmap
    assert page.count("21 more rows with nothing but visible answers") == 2


def _ink(shot: Path) -> numpy.ndarray:
    picture = image.imread(shot)[:, :, :3]
    return numpy.asarray(picture.mean(axis=2) < 0.5)


@needs_cjk_font
def test_chinese_labels_are_drawn_in_the_png_with_a_real_font(tmp_path: Path) -> None:
    """Two different characters draw differently: a missing glyph is the same box for both."""
    drawn = []
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        for n, text in enumerate(("法", "輪")):
            figure = grid_figure([text * 3], ["weibo"], [["notice"]], xlabel="", ylabel="")
            drawn.append(_ink(save_png(figure, tmp_path / f"{n}.png", dpi=100)))
    assert drawn[0].shape == drawn[1].shape
    assert (drawn[0] != drawn[1]).sum() > 50
    svg = to_svg(grid_figure(["法輪功"], ["weibo"], [["notice"]], xlabel="", ylabel=""))
    assert "法輪功" in svg and str(cjk_family()) in svg  # the SVG names the font for browsers


@needs_chromium
def test_chinese_renders_in_the_report_in_chromium(tmp_path: Path) -> None:
    """The report's font stack finds a CJK font: two characters screenshot differently."""
    results = tmp_path / "results"
    write_snapshot(
        results,
        "run",
        "2026-10-01T08:00:00.000Z",
        [probe("falun", "censored", signal="notice", text="法輪功", variant="traditional")],
    )
    page = build_report(results).html
    assert '<span lang="zh">法輪功</span>' in page
    style = page[page.index("<style>") : page.index("</style>") + len("</style>")]
    shots = []
    for text in ("法", "輪"):
        single = tmp_path / f"glyph-{ord(text)}.html"
        single.write_text(
            f'<!DOCTYPE html><meta charset="utf-8">{style}'
            f'<body><p lang="zh" style="font-size:96px;margin:0">{text}</p></body>',
            encoding="utf-8",
        )
        _, shot = render(single, tmp_path, height=200)
        shots.append(_ink(shot))
    assert shots[0].sum() > 500, "nothing drawn"
    assert (shots[0] != shots[1]).sum() > 500, "the same box for both: no CJK font (fonts-noto-cjk)"
