"""``censorprobe diff --by platform``: a censoring platform against its uncensored twin."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from pathlib import Path

import pytest
import typer
from snapshot_maker import control, probe, write_snapshot
from typer.testing import CliRunner
from wide_console import wide  # noqa: F401 (a fixture)

from runners.cli.results import diff_command
from runners.execution.runner import execute
from runners.plan.config import RunConfig
from runners.plan.planner import make_plan
from snapshots.crossplatform import ContrastKind, compare_platforms, parse_pair
from testbed import Action, Rule, RuleBook, serve_in_thread
from testbed import TestbedConfig as Config  # not collected as a test class
from testbed.index import Index
from testbed.rules import DEFAULT_ALLOWLIST

NOTICE = {"signal": "notice"}
ZERO = {"signal": "zero_results", "count": 0}


def _invoke(*args: str | Path) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(diff_command)
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout


@pytest.fixture
def run(tmp_path: Path) -> Path:
    """One run, two vantage points, bing_cn/bing and weibo/wikipedia_zh."""
    rows = []
    for vantage in ("beijing", "vps-us"):
        on = {"vantage": vantage}
        rows += [
            probe("tank", "censored", platform="bing_cn", **NOTICE, **on),
            probe("tank", "visible", platform="bing", count=900, **on),
            probe("rare", "censored", platform="bing_cn", **ZERO, **on),
            probe("rare", "visible", platform="bing", count=0, **on),
            probe("both", "censored", platform="bing_cn", **NOTICE, **on),
            probe("both", "censored", platform="bing", signal="partial_notice", **on),
            probe("tofu", "visible", platform="bing_cn", count=50, **on),
            probe("tofu", "visible", platform="bing", count=70, **on),
            probe("odd", "visible", platform="bing_cn", count=50, **on),
            probe("odd", "censored", platform="bing", signal="partial_notice", **on),
            probe("broken", "error", platform="bing_cn", error="captcha", **on),
            probe("broken", "visible", platform="bing", count=5, **on),
        ]
    # Weibo from Beijing only; Wikipedia from abroad only: across vantage points.
    rows += [
        probe("tank", "censored", platform="weibo", signal="soft", vantage="beijing"),
        probe("tank", "visible", platform="wikipedia_zh", count=40, vantage="vps-us"),
        probe("lonely", "censored", platform="weibo", **NOTICE, vantage="beijing"),
        control("weather", "visible", 1, platform="bing_cn"),
    ]
    root = tmp_path / "results"
    write_snapshot(root, "multi", "2026-11-01T10:00:00.000Z", rows)
    return root


def test_each_term_lands_in_one_kind_per_pair_and_vantage(run: Path) -> None:
    result = compare_platforms(run / "multi")
    assert result.pairs == (("bing_cn", "bing"), ("weibo", "wikipedia_zh"))
    kinds = {
        (c.column, c.term.split("/")[1]): c.kind for c in result.contrasts if c.platform_b == "bing"
    }
    for vantage in ("beijing", "vps-us"):
        column = f"bing_cn vs bing @{vantage}"
        assert {term: kind for (col, term), kind in kinds.items() if col == column} == {
            "tank": ContrastKind.HIDDEN_ON_A,
            "rare": ContrastKind.NOT_FOUND_ON_B,
            "both": ContrastKind.HIDDEN_ON_BOTH,
            "odd": ContrastKind.HIDDEN_ON_B,
            "broken": ContrastKind.INCONCLUSIVE,
        }
        assert result.counts[column]["visible_on_both"] == 1  # tofu: counted, not listed
    tank = next(c for c in result.of_kind(ContrastKind.HIDDEN_ON_A) if c.platform_a == "bing_cn")
    assert tank.describe() == "hidden on bing_cn, found on bing"
    assert tank.query == "词tank" and tank.a is not None and tank.a.confidence == "confirmed"
    rare = result.of_kind(ContrastKind.NOT_FOUND_ON_B)[0]
    assert rare.a is not None and rare.a.confidence == "suspected"
    # Same vantage by default: weibo (Beijing) has no wikipedia_zh beside it.
    weibo = {(c.term, c.kind, c.column) for c in result.contrasts if c.platform_a == "weibo"}
    assert weibo == {
        ("t/tank/original", ContrastKind.ONLY_ON_A, "weibo vs wikipedia_zh @beijing"),
        ("t/lonely/original", ContrastKind.ONLY_ON_A, "weibo vs wikipedia_zh @beijing"),
        ("t/tank/original", ContrastKind.ONLY_ON_B, "weibo vs wikipedia_zh @vps-us"),
    }
    assert "weibo vs wikipedia_zh @beijing" in result.counts


def test_across_vantage_points_with_a_reference_vantage(run: Path) -> None:
    result = compare_platforms(
        run / "multi", [("weibo", "wikipedia_zh")], reference_vantage="vps-us"
    )
    assert {(c.column, c.term, c.kind) for c in result.contrasts} == {
        ("weibo@beijing vs wikipedia_zh@vps-us", "t/tank/original", ContrastKind.HIDDEN_ON_A),
        ("weibo@beijing vs wikipedia_zh@vps-us", "t/lonely/original", ContrastKind.ONLY_ON_A),
    }
    bing = compare_platforms(run / "multi", [("bing_cn", "bing")], reference_vantage="vps-us")
    assert set(bing.counts) == {
        "bing_cn@beijing vs bing@vps-us",
        "bing_cn vs bing @vps-us",
    }


def test_pairs_and_filters(run: Path) -> None:
    with pytest.raises(ValueError, match="none of the platform pairs"):
        compare_platforms(run / "multi", [("baidu", "wikipedia_zh")])
    for bad in ("bing_cn", "bing_cn:", "a:a", "a:b:c"):
        with pytest.raises(ValueError):
            parse_pair(bad)
    assert parse_pair(" bing_cn : bing ") == ("bing_cn", "bing")
    from snapshots.filters import Filters

    only = compare_platforms(run / "multi", filters=Filters(terms=["tank"]))
    assert {c.term for c in only.contrasts} == {"t/tank/original"}


@pytest.mark.usefixtures("wide")
def test_cli_formats_and_errors(run: Path) -> None:
    code, out = _invoke("--by", "platform", "multi", "--results", run)
    assert code == 0, out
    assert "bing_cn vs bing @beijing: hidden on bing_cn, found on bing 1 · " in out
    line = next(line for line in out.splitlines() if "│ hidden on bing_cn, found on bing" in line)
    assert "t/tank/original" in line and "词tank" in line
    code, out = _invoke("--by", "platform", "multi", "--results", run, "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["pairs"] == [["bing_cn", "bing"], ["weibo", "wikipedia_zh"]]
    code, out = _invoke(
        "--by", "platform", "latest", "--pair", "bing_cn:bing", "--results", run, "--format", "csv"
    )
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and {row["platform_a"] for row in rows} == {"bing_cn"}
    assert {row["kind"] for row in rows if row["term"] == "t/tank/original"} == {"hidden_on_a"}
    code, out = _invoke("--by", "platform", "multi", "--results", run, "--format", "markdown")
    assert code == 0 and out.count("| hidden_on_a |") == 2  # weibo's twin was abroad
    assert _invoke("--by", "platform", "multi", "--pair", "x", "--results", run)[0] == 1
    assert _invoke("--by", "platform", "multi", "--pair", "baidu:bing", "--results", run)[0] == 1
    assert _invoke("--by", "platform", "multi", "multi", "--results", run)[0] == 1
    assert _invoke("--by", "platform", "multi", "--fail-on-change", "--results", run)[0] == 1
    assert _invoke("multi", "multi", "--pair", "bing_cn:bing", "--results", run)[0] == 1


#: Controls the testbed's corpus has (the index finds them on every personality).
CONTROLS = ("天气", "中国")


def _write_list(path: Path, terms: list[tuple[str, str]]) -> Path:
    lines = ["list: t", "description: cross-platform", "language: zh-Hans", "terms:"]
    lines += [f"  - {{id: {i}, text: {text}, category: test}}" for i, text in terms]
    lines += ["controls:", *(f"  - {{id: c{n}, text: {t}}}" for n, t in enumerate(CONTROLS))]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _corpus_words(count: int) -> list[str]:
    """Chinese words the testbed's corpus has (so an unfiltered search finds them)."""
    index = Index(DEFAULT_ALLOWLIST, seed=0)
    words = sorted({w for doc in index.corpus for w in doc.words if len(w) >= 2})
    found = [
        w
        for w in words
        if not w.isascii() and len(index.search(w)) >= 5 and not any(w in c for c in CONTROLS)
    ]
    return found[:count]


def test_a_real_run_on_two_testbeds_shows_what_bing_cn_hides(tmp_path: Path) -> None:
    """The real runner probes bing_cn (rules) and bing (none) on two loopback testbeds."""
    hidden, silent, common = _corpus_words(3)
    terms = [("hidden", hidden), ("silent", silent), ("common", common), ("rare", "qzxvkjwq")]
    listed = _write_list(tmp_path / "terms.yaml", terms)
    rules = RuleBook(
        (
            Rule(parts=(hidden,), action=Action.NOTICE),
            Rule(parts=(silent,), action=Action.ZERO_RESULTS),
        )
    )
    censoring = Config(rules=rules, personality="bing", index=True)
    free = Config(personality="bing", index=True)
    with serve_in_thread(censoring) as cn, serve_in_thread(free) as world:
        config = RunConfig(
            lists=[listed],
            platforms=["bing_cn", "bing"],
            base_urls={"bing_cn": cn.url, "bing": world.url},
            rate=0,
            backoff=0.01,
            timeout=5,
            reask_delay=0,
        )
        folder = asyncio.run(execute(make_plan(config), tmp_path / "results")).folder
    result = compare_platforms(folder)
    kinds = {c.term.split("/")[1]: (c.kind, c.a) for c in result.contrasts}
    assert kinds["hidden"][0] == ContrastKind.HIDDEN_ON_A
    assert kinds["silent"][0] == ContrastKind.HIDDEN_ON_A
    assert kinds["silent"][1] is not None and kinds["silent"][1].confidence == "confirmed"
    assert "common" not in kinds and "rare" not in kinds  # visible on both (rare: nothing found)
    assert result.counts["bing_cn vs bing @local"]["visible_on_both"] == 2


def test_report_section_has_a_column_per_pair_and_vantage(run: Path, tmp_path: Path) -> None:
    from runners.cli.results import write_report

    page = write_report(run, tmp_path / "report.html").read_text(encoding="utf-8")
    section = page[page.index('<section id="platforms">') : page.index('<section id="censored">')]
    grid = section[section.index('<table class="platforms">') :]
    header = grid[: grid.index("</thead>")]
    assert re.findall(r"<th>([^<]*)</th>", header) == [
        "term",
        "query",
        "bing_cn vs bing @beijing",
        "bing_cn vs bing @vps-us",
        "weibo vs wikipedia_zh @beijing",
        "weibo vs wikipedia_zh @vps-us",
    ]
    tank = next(row for row in grid.split("<tr>") if row.startswith("<td>t/tank/original"))
    assert tank.count("hidden on bing_cn, found on bing") == 2
    assert "词tank" in tank
    rare = next(row for row in grid.split("<tr>") if row.startswith("<td>t/rare/original"))
    assert "(bing_cn: suspected)" in rare
    # The summary of the latest run has a row per platform and vantage point.
    summary = page[page.index('<section id="summary">') : page.index('<section id="heatmap">')]
    assert "<td>bing_cn@beijing</td>" in summary and "<td>weibo@beijing</td>" in summary
    across = write_report(
        run,
        tmp_path / "across.html",
        pairs=["weibo:wikipedia_zh"],
        reference_vantage="vps-us",
    ).read_text(encoding="utf-8")
    assert "<th>weibo@beijing vs wikipedia_zh@vps-us</th>" in across
    only_one = tmp_path / "one"
    write_snapshot(only_one, "r", "2026-11-01T10:00:00.000Z", [probe("x", "visible", count=1)])
    alone = write_report(only_one, tmp_path / "alone.html").read_text(encoding="utf-8")
    assert "none of the platform pairs" in alone
