"""``censorprobe timeline``: verdicts per key over every snapshot, flips, first and last censored."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from pathlib import Path

import pytest
import typer
from snapshot_maker import control, probe, write_snapshot
from typer.testing import CliRunner
from wide_console import wide  # noqa: F401 (a fixture)

from runners.cli.results import timeline_command
from snapshots import KeyTimeline, timeline

DAYS = ["2026-10-01", "2026-10-02", "2026-10-03", "2026-10-04"]
FLIPPER = "t/flipper/original/weibo/local"
STEADY = "t/steady/original/weibo/local"
LATE = "t/late/original/bing/local"


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """Four daily snapshots; each key first, in a run, at second 0, 1, 2 ..."""
    root = tmp_path / "results"
    flipper = [
        probe("flipper", "visible", count=10),
        probe("flipper", "censored", signal="notice"),
        probe("flipper", "error", error="timeout"),  # skipped: neither state
        probe("flipper", "visible", count=12),
    ]
    steady = [
        probe("steady", "censored", signal="notice", category="leaders"),
        probe("steady", "censored", signal="notice", category="leaders"),
        probe("steady", "censored", signal="soft", category="leaders"),  # a signal, not a flip
        probe("steady", "censored", signal="notice", category="leaders"),
    ]
    late = {
        2: probe("late", "visible", platform="bing", count=3),
        3: probe("late", "error", platform="bing", error="captcha"),
    }
    for number, day in enumerate(DAYS):
        rows = [flipper[number], steady[number], control("weather", "visible", 1)]
        if number in late:
            rows.append(late[number])
        write_snapshot(root, f"day{number + 1}", f"{day}T08:00:00.000Z", rows)
    return root


def _by_key(entries: list[KeyTimeline]) -> dict[str, KeyTimeline]:
    return {entry.key: entry for entry in entries}


def test_flips_first_and_last_censored_and_current_state(results: Path) -> None:
    entries = _by_key(list(timeline(results, with_points=True)))
    assert set(entries) == {FLIPPER, STEADY, LATE}  # the control is left out
    flipper = entries[FLIPPER]
    assert flipper.flips == 2  # visible -> notice -> (error) -> visible
    assert flipper.first_censored == flipper.last_censored == datetime(2026, 10, 2, 8, 0, 0)
    assert flipper.strip == ".Nx."
    assert flipper.current.state == "visible" and flipper.current.run_id == "day4"
    assert [p.run_id for p in flipper.points] == ["day1", "day2", "day3", "day4"]
    assert [p.verdict for p in flipper.points] == ["visible", "censored", "error", "visible"]

    steady = entries[STEADY]
    assert steady.flips == 0
    assert steady.first_censored == datetime(2026, 10, 1, 8, 0, 1)
    assert steady.last_censored == datetime(2026, 10, 4, 8, 0, 1)
    assert steady.strip == "NNsN"  # the soft answer nobody confirmed is lower case
    assert [p.confidence for p in steady.points] == ["confirmed"] * 2 + ["suspected", "confirmed"]
    assert steady.observations == 4 and steady.category == "leaders"
    assert steady.query == "词steady" and not steady.unstable
    assert flipper.unstable  # censored one day, visible another: no run says what it is

    late = entries[LATE]
    assert late.current.state == "error" and late.current.error_kind == "captcha"
    assert late.first_censored is None and late.flips == 0
    assert late.first_seen.date() == date(2026, 10, 3)


def test_filters(results: Path) -> None:
    assert [e.key for e in timeline(results, platforms=["bing"])] == [LATE]
    assert [e.key for e in timeline(results, terms=["steady", "late"])] == [LATE, STEADY]
    assert [e.key for e in timeline(results, categories=["leaders"])] == [STEADY]
    since = _by_key(list(timeline(results, since=date(2026, 10, 3))))
    assert since[FLIPPER].flips == 0 and since[FLIPPER].first_censored is None
    assert since[STEADY].first_censored == datetime(2026, 10, 3, 8, 0, 1)
    assert since[STEADY].observations == 2
    assert list(timeline(results / "nothing-here")) == []


def _invoke(*args: str | Path) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(timeline_command)
    result = CliRunner().invoke(app, [str(a) for a in args])
    return result.exit_code, result.stdout


@pytest.mark.usefixtures("wide")
def test_cli_formats(results: Path) -> None:
    code, out = _invoke("--results", results, "--format", "json")
    assert code == 0
    data = {entry["key"]: entry for entry in json.loads(out)}
    assert data[FLIPPER]["flips"] == 2 and data[FLIPPER]["unstable"]
    assert data[STEADY]["current_confidence"] == "confirmed"
    assert data[STEADY]["points"][2]["confidence"] == "suspected"
    assert data[FLIPPER]["first_censored"] == "2026-10-02T08:00:00.000Z"
    assert [p["verdict"] for p in data[FLIPPER]["points"]][:2] == ["visible", "censored"]

    code, out = _invoke("--results", results, "--format", "csv", "--since", "2026-10-02")
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(out))}
    assert code == 0 and set(rows) == {FLIPPER, STEADY, LATE}
    assert rows[FLIPPER]["flips"] == "1" and rows[FLIPPER]["strip"] == "Nx."
    assert rows[FLIPPER]["unstable"] == "False"  # one flip since the 2nd
    assert rows[LATE]["first_censored"] == ""

    code, out = _invoke("--results", results, "--platform", "weibo", "-t", "flipper")
    assert code == 0 and "flipper" in out and "steady" not in out

    assert _invoke("--results", results / "none")[0] == 1
    assert _invoke("--results", results, "--format", "json", "-p", "none")[1].split() == ["[", "]"]


@pytest.mark.usefixtures("wide")
def test_query_text_list_filter_and_since_without_seconds(results: Path) -> None:
    code, out = _invoke("--results", results, "--since", "2026-10-03T08:00")
    assert code == 0
    row = next(line for line in out.splitlines() if FLIPPER in line)
    assert "词flipper" in row
    code, out = _invoke("--results", results, "--since", "2026-10-04 08:00", "--format", "json")
    assert code == 0 and {e["observations"] for e in json.loads(out)} == {1}
    code, out = _invoke("--results", results, "--since", "2026-10-04T08:00:01", "--format", "csv")
    assert code == 0 and {row["key"] for row in csv.DictReader(io.StringIO(out))} == {STEADY, LATE}
    assert _invoke("--results", results, "--since", "04/10/2026")[0] == 2  # refused, not guessed
    code, out = _invoke("--results", results, "--list", "t", "--format", "json")
    assert len(json.loads(out)) == 3
    code, out = _invoke("--results", results, "-l", "other", "--format", "json")
    assert json.loads(out) == []
