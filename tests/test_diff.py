"""``censorprobe diff``: every category, errors kept apart, formats, aliases, vantage points."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
import typer
from snapshot_maker import control, probe, write_snapshot
from support import cli, observations
from typer.testing import CliRunner
from wide_console import wide  # noqa: F401 (a fixture)

from runners.cli.results import EXIT_CHANGED, diff_command
from snapshots import ChangeKind, SnapshotError, diff_snapshots, diff_vantages, resolve_snapshot

runner = CliRunner()


def _app() -> typer.Typer:
    app = typer.Typer()
    app.command()(diff_command)
    return app


def _invoke(*args: str | Path) -> tuple[int, str]:
    result = runner.invoke(_app(), [str(a) for a in args])
    return result.exit_code, result.stdout


@pytest.fixture
def results(tmp_path: Path) -> Path:
    """Two snapshots where each key shows one kind of change (or none)."""
    root = tmp_path / "results"
    before = [
        probe("same", "visible", count=1000),
        probe("small-shift", "visible", count=1000),
        probe("big-shift", "visible", count=1000),
        probe("added", "visible", count=500),
        probe("lifted", "censored", signal="notice", notice="根据相关法律法规和政策……"),
        probe("hardened", "censored", signal="partial_notice", count=40),
        probe("gone", "visible", count=10),
        probe("error-before", "error", error="timeout"),
        probe("error-after", "censored", signal="notice"),
        probe("error-both", "error", error="captcha"),
        probe("suspect-new", "visible", count=3),
        probe("suspect-lifted", "censored", signal="soft"),
        probe("suspect-signal", "censored", signal="zero_results", confidence="confirmed"),
        probe("suspect-same", "censored", signal="zero_results"),
        control("weather", "visible", 1),
        control("weather", "visible", 2),
    ]
    after = [
        probe("same", "visible", count=1000),
        probe("small-shift", "visible", count=1400),
        probe("big-shift", "visible", count=1600),
        probe("added", "censored", signal="zero_results", count=0, confidence="confirmed"),
        probe("lifted", "visible", count=300),
        probe("hardened", "censored", signal="notice"),
        probe("new", "visible", count=10),
        probe("error-before", "censored", signal="notice"),
        probe("error-after", "error", error="rate_limited"),
        probe("error-both", "error", error="captcha"),
        # A silent signal nobody confirmed: listed apart, never a change of censorship.
        probe("suspect-new", "censored", signal="zero_results", count=0),
        probe("suspect-lifted", "visible", count=8),
        probe("suspect-signal", "censored", signal="soft"),
        probe("suspect-same", "censored", signal="zero_results"),
        # Controls repeat once per check and may differ; they are never part of a diff.
        control("weather", "error", 1),
        control("weather", "visible", 2),
        control("weather", "visible", 3),
    ]
    # B's name sorts first, but B started later: aliases go by started_at, not by name.
    write_snapshot(root, "run-b", "2026-11-02T10:00:00.000Z", after, torn_tail='{"key": "t/x')
    write_snapshot(root, "run-z", "2026-11-01T10:00:00.000Z", before)
    return root


EXPECTED = {
    "t/added/original/weibo/local": ChangeKind.NEWLY_CENSORED,
    "t/lifted/original/weibo/local": ChangeKind.NO_LONGER_CENSORED,
    "t/hardened/original/weibo/local": ChangeKind.SIGNAL_CHANGED,
    "t/big-shift/original/weibo/local": ChangeKind.COUNT_SHIFT,
    "t/gone/original/weibo/local": ChangeKind.ONLY_IN_A,
    "t/new/original/weibo/local": ChangeKind.ONLY_IN_B,
    "t/error-before/original/weibo/local": ChangeKind.INCONCLUSIVE,
    "t/error-after/original/weibo/local": ChangeKind.INCONCLUSIVE,
    "t/error-both/original/weibo/local": ChangeKind.INCONCLUSIVE,
    "t/suspect-new/original/weibo/local": ChangeKind.SUSPECTED,
    "t/suspect-lifted/original/weibo/local": ChangeKind.SUSPECTED,
    "t/suspect-signal/original/weibo/local": ChangeKind.SUSPECTED,
}


def test_every_key_lands_in_its_category(results: Path) -> None:
    result = diff_snapshots(results / "run-z", results / "run-b")
    assert {change.key: change.kind for change in result.changes} == EXPECTED
    assert (result.a, result.b) == ("run-z", "run-b")
    assert result.compared == 13  # keys in both snapshots
    assert result.unchanged == 3  # same, small-shift (40 % < 50 %), suspect-same
    assert result.censorship_changed
    shifted = result.of_kind(ChangeKind.COUNT_SHIFT)[0]
    assert shifted.shift == pytest.approx(0.6)
    lifted = result.of_kind(ChangeKind.NO_LONGER_CENSORED)[0]
    assert lifted.a is not None and lifted.a.signal == "notice"
    assert lifted.b is not None and lifted.b.result_count == 300


def test_an_error_is_never_a_change_of_censorship(results: Path) -> None:
    result = diff_snapshots(results / "run-z", results / "run-b")
    for change in result.of_kind(ChangeKind.INCONCLUSIVE):
        assert "error" in {side.verdict for side in (change.a, change.b) if side}
    censorship = {c.key for c in result.changes if c.kind not in {ChangeKind.INCONCLUSIVE}}
    assert not any("error" in key for key in censorship)


def test_count_threshold_is_relative_to_a(results: Path) -> None:
    loose = diff_snapshots(results / "run-z", results / "run-b", count_threshold=0.3)
    shifted = {c.key.split("/")[1] for c in loose.of_kind(ChangeKind.COUNT_SHIFT)}
    assert shifted == {"small-shift", "big-shift"}
    strict = diff_snapshots(results / "run-z", results / "run-b", count_threshold=1.0)
    assert not strict.of_kind(ChangeKind.COUNT_SHIFT)
    with pytest.raises(ValueError):
        diff_snapshots(results / "run-z", results / "run-b", count_threshold=-1)


def test_aliases_follow_started_at_and_paths_and_run_ids_resolve(results: Path) -> None:
    assert resolve_snapshot("latest", results).run_id == "run-b"
    assert resolve_snapshot("previous", results).run_id == "run-z"
    assert resolve_snapshot(str(results / "run-z"), results).run_id == "run-z"
    assert resolve_snapshot("run-z", results).folder == (results / "run-z").resolve()
    with pytest.raises(SnapshotError):
        resolve_snapshot("missing", results)
    with pytest.raises(SnapshotError):
        resolve_snapshot("previous", results / "run-z")  # not a results folder: no snapshots


def test_cli_json_csv_markdown_and_table(results: Path) -> None:
    code, out = _invoke("previous", "latest", "--results", results, "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["counts"]["newly_censored"] == 1 and data["counts"]["inconclusive"] == 3
    assert data["counts"]["suspected"] == 3
    assert {c["key"]: c["kind"] for c in data["changes"]} == EXPECTED

    code, out = _invoke("previous", "latest", "--results", results, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and len(rows) == len(EXPECTED)
    added = next(row for row in rows if row["key"] == "t/added/original/weibo/local")
    assert (added["a_verdict"], added["b_verdict"], added["b_signal"]) == (
        "visible",
        "censored",
        "zero_results",
    )

    code, out = _invoke("run-z", "run-b", "--results", results, "--format", "markdown")
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert code == 0 and len(table) == 2 + len(EXPECTED)
    assert table[1].startswith("|---|")

    code, out = _invoke(results / "run-z", results / "run-b")
    assert code == 0
    assert "newly censored" in out and "inconclusive" in out


def test_fail_on_change_exits_3_only_when_censorship_changed(tmp_path: Path) -> None:
    root = tmp_path / "results"
    soft = {"signal": "soft", "confidence": "confirmed"}
    write_snapshot(root, "a", "2026-11-01T10:00:00.000Z", [probe("x", "visible", count=10)])
    write_snapshot(root, "b", "2026-11-02T10:00:00.000Z", [probe("x", "visible", count=90)])
    write_snapshot(root, "c", "2026-11-03T10:00:00.000Z", [probe("x", "error", error="timeout")])
    write_snapshot(root, "d", "2026-11-04T10:00:00.000Z", [probe("x", "censored", **soft)])
    args = ["--results", str(root), "--fail-on-change", "--format", "json", "--history", "0"]
    assert _invoke("a", "b", *args)[0] == 0  # a count shift is not a change of censorship
    assert _invoke("b", "c", *args)[0] == 0  # an error is inconclusive
    assert _invoke("b", "d", *args)[0] == EXIT_CHANGED
    assert _invoke("b", "d", "--results", root)[0] == 0  # without the flag


@pytest.mark.usefixtures("wide")
def test_suspected_only_changes_do_not_fail_on_change(tmp_path: Path) -> None:
    """A silent signal nobody confirmed, either way, is listed apart and exits 0."""
    root = tmp_path / "results"
    write_snapshot(
        root,
        "a",
        "2026-11-01T10:00:00.000Z",
        [probe("x", "visible", count=10), probe("y", "censored", signal="soft")],
    )
    write_snapshot(
        root,
        "b",
        "2026-11-02T10:00:00.000Z",
        [probe("x", "censored", signal="zero_results", count=0), probe("y", "visible", count=4)],
    )
    code, out = _invoke("a", "b", "--results", root, "--fail-on-change", "--format", "json")
    data = json.loads(out)
    assert code == 0 and not data["censorship_changed"]
    assert data["counts"]["suspected"] == 2 and data["counts"]["newly_censored"] == 0
    assert {c["b"]["confidence"] for c in data["changes"]} == {"suspected", None}
    code, out = _invoke("a", "b", "--results", root)
    assert code == 0
    assert "suspected (newly censored)" in out and "suspected (no longer censored)" in out
    assert "not counted as changes of censorship" in out


@pytest.mark.usefixtures("wide")
def test_a_term_that_flips_between_runs_is_unstable(tmp_path: Path) -> None:
    """Censored, lifted, censored again: the last diff says unstable, not newly censored."""
    root = tmp_path / "results"
    notice = {"signal": "notice"}
    settled = {day: probe("settled", "censored", **notice) for day in ("d1", "d3", "d4")}
    settled["d2"] = probe("settled", "visible", count=5)
    days = {
        "d1": [probe("flaky", "censored", **notice), probe("once", "visible", count=9)],
        "d2": [probe("flaky", "visible", count=5), probe("once", "visible", count=9)],
        "d3": [probe("flaky", "error", error="timeout"), probe("once", "visible", count=9)],
        "d4": [probe("flaky", "censored", **notice), probe("once", "censored", **notice)],
    }
    for day, rows in days.items():
        rows.append(settled[day])
    for number, (run, rows) in enumerate(days.items(), start=1):
        write_snapshot(root, run, f"2026-11-0{number}T10:00:00.000Z", rows)
    history = [resolve_snapshot(name, root) for name in ("d1", "d2")]
    result = diff_snapshots(root / "d3", root / "d4", history=history)
    kinds = {change.key.split("/")[1]: change for change in result.changes}
    # d3 is an error for flaky: inconclusive whatever the history says.
    assert kinds["flaky"].kind == ChangeKind.INCONCLUSIVE
    result = diff_snapshots(root / "d2", root / "d4", history=history)
    kinds = {change.key.split("/")[1]: change for change in result.changes}
    assert kinds["flaky"].kind == ChangeKind.UNSTABLE and kinds["flaky"].flips == 2
    assert kinds["once"].kind == ChangeKind.NEWLY_CENSORED  # one flip is a change
    assert kinds["settled"].kind == ChangeKind.UNSTABLE  # censored, lifted, censored
    assert result.history == ("d1", "d2", "d4")
    assert not diff_snapshots(root / "d2", root / "d4").of_kind(ChangeKind.UNSTABLE)
    # A key stable since A is unchanged, whatever it did before A.
    since_d3 = diff_snapshots(root / "d3", root / "d4", history=history)
    assert "settled" not in {c.key.split("/")[1] for c in since_d3.changes}

    # The CLI reads the snapshots before B as history (--history, default 4).
    code, out = _invoke("d2", "d4", "--results", root, "--format", "json", "--fail-on-change")
    data = json.loads(out)
    assert code == EXIT_CHANGED  # "once" changed for real
    assert {c["key"].split("/")[1]: c["kind"] for c in data["changes"]} == {
        "flaky": "unstable",
        "once": "newly_censored",
        "settled": "unstable",
    }
    assert data["history"] == ["d1", "d2", "d3", "d4"]
    code, out = _invoke("d2", "d4", "--results", root, "--format", "json", "--history", "0")
    assert {c["kind"] for c in json.loads(out)["changes"]} == {"newly_censored"}  # 3 of them
    code, out = _invoke("d2", "d4", "--results", root)
    assert "unstable (newly censored)" in out


def test_cli_errors_are_clear(results: Path) -> None:
    assert _invoke("latest", "--results", results)[0] == 1
    assert _invoke("latest", "nowhere", "--results", results)[0] == 1
    assert _invoke("latest", "previous", "--results", results / "empty")[0] == 1


def test_vantage_points_of_one_run_are_compared_without_the_vantage(tmp_path: Path) -> None:
    root = tmp_path / "results"
    write_snapshot(
        root,
        "multi",
        "2026-11-01T10:00:00.000Z",
        [
            probe("a", "visible", count=100, vantage="beijing"),
            probe("a", "censored", signal="notice", vantage="vps-us"),
            probe("b", "censored", signal="soft", vantage="beijing"),
            probe("b", "censored", signal="soft", vantage="vps-us"),
            probe("c", "error", error="timeout", vantage="beijing"),
            probe("c", "visible", count=5, vantage="vps-us"),
            probe("d", "visible", count=5, vantage="vps-us"),
        ],
    )
    result = diff_vantages(root / "multi", "beijing", "vps-us")
    assert {c.key: c.kind for c in result.changes} == {
        "t/a/original/weibo": ChangeKind.NEWLY_CENSORED,
        "t/c/original/weibo": ChangeKind.INCONCLUSIVE,
        "t/d/original/weibo": ChangeKind.ONLY_IN_B,
    }
    assert result.unchanged == 1
    code, out = _invoke("--by", "vantage", "multi", "--results", root, "--format", "json")
    assert code == 0
    assert json.loads(out)["a"] == "multi@beijing"
    assert _invoke("--by", "vantage", "multi", "vps-us", "beijing", "--results", root)[0] == 0
    assert _invoke("--by", "vantage", "multi", "beijing", "--results", root)[0] == 1


def test_diff_of_the_snapshots_the_real_demo_writes(tmp_path: Path) -> None:
    out = tmp_path / "results"
    ran = cli("demo", "--out", out, timeout=180)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    result = diff_snapshots(
        resolve_snapshot("previous", out).folder, resolve_snapshot("latest", out).folder
    )
    # The oracle: the same comparison done naively over the parsed lines.
    before, after = (
        {
            o["key"]: (o["verdict"], o["confidence"])
            for o in observations(resolve_snapshot(n, out).folder)
        }
        for n in ("previous", "latest")
    )
    newly = {
        k for k in before if before[k][0] == "visible" and after[k] == ("censored", "confirmed")
    }
    lifted = {
        k for k in before if before[k] == ("censored", "confirmed") and after[k][0] == "visible"
    }
    suspected = {
        k
        for k in before
        if before[k][0] != after[k][0] and "suspected" in (before[k][1], after[k][1])
    }
    assert {c.key for c in result.of_kind(ChangeKind.NEWLY_CENSORED)} == newly
    assert {c.key for c in result.of_kind(ChangeKind.NO_LONGER_CENSORED)} == lifted
    assert {c.key for c in result.of_kind(ChangeKind.SUSPECTED)} <= suspected
    assert newly and lifted  # the demo adds some rules and lifts others
    assert result.compared == len(before) == len(after)
    assert not any(
        c.key.split("/")[1] in {"weather", "noodles", "football"} for c in result.changes
    )


def test_a_key_written_twice_counts_once_and_the_later_line_wins(tmp_path: Path) -> None:
    root = tmp_path / "results"
    write_snapshot(root, "a", "2026-11-01T10:00:00.000Z", [probe("x", "visible", count=10)])
    twice = [probe("x", "censored", signal="notice"), probe("x", "visible", count=11)]
    write_snapshot(root, "b", "2026-11-02T10:00:00.000Z", twice)
    result = diff_snapshots(root / "a", root / "b")
    assert (result.compared, result.unchanged, result.changes) == (1, 1, ())


@pytest.mark.usefixtures("wide")
def test_query_text_beside_the_key_and_filters(tmp_path: Path) -> None:
    root = tmp_path / "results"
    falun = {"variant": "traditional", "text": "法輪功", "category": "religion"}
    write_snapshot(
        root,
        "a",
        "2026-11-01T10:00:00.000Z",
        [
            probe("falun", "visible", count=9, **falun),
            probe("falun", "visible", count=9, platform="bing", **falun),
            probe("tank", "visible", count=9),
        ],
    )
    write_snapshot(
        root,
        "b",
        "2026-11-02T10:00:00.000Z",
        [
            probe("falun", "censored", signal="notice", **falun),
            probe("falun", "censored", signal="notice", platform="bing", **falun),
            probe("tank", "censored", signal="notice"),
        ],
    )
    code, out = _invoke("a", "b", "--results", root)
    assert code == 0
    row = next(line for line in out.splitlines() if "t/falun/traditional/weibo/local" in line)
    assert "法輪功" in row
    code, out = _invoke("a", "b", "--results", root, "--format", "json", "-p", "weibo")
    changes = json.loads(out)["changes"]
    assert [(c["key"], c["query"]) for c in changes] == [
        ("t/falun/traditional/weibo/local", "法輪功"),
        ("t/tank/original/weibo/local", "词tank"),
    ]
    code, out = _invoke("a", "b", "--results", root, "--format", "csv", "--category", "religion")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {row["key"].split("/")[3] for row in rows} == {"weibo", "bing"}
    assert {row["query"] for row in rows} == {"法輪功"}
    code, out = _invoke("a", "b", "--results", root, "--format", "json", "--list", "other")
    data = json.loads(out)
    assert (data["compared"], data["changes"]) == (0, [])
    assert _invoke("a", "b", "--results", root, "--list", "t", "--format", "json")[0] == 0
