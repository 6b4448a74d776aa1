"""Readers never crash and never hide: bad snapshots are named and skipped, corrupt lines named."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from snapshot_maker import probe, write_snapshot

from snapshots.duck import corrupt_lines
from snapshots.format import MANIFEST, OBSERVATIONS
from snapshots.store import SnapshotError, find_snapshots, resolve_snapshot
from snapshots.timeline import timeline

START = "2026-12-01T10:00:00.000Z"


def _two_runs(results: Path) -> tuple[Path, Path]:
    good = write_snapshot(results, "good", START, [probe("a", "visible", count=3)])
    bad = write_snapshot(
        results, "bad", START.replace("10:", "11:"), [probe("a", "censored", signal="notice")]
    )
    return good, bad


def test_a_truncated_manifest_is_skipped_with_a_warning_naming_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good, bad = _two_runs(tmp_path)
    manifest = bad / MANIFEST
    manifest.write_bytes(manifest.read_bytes()[:40])
    with caplog.at_level(logging.WARNING, logger="snapshots.store"):
        found = find_snapshots(tmp_path)
    assert [snapshot.folder for snapshot in found] == [good]
    assert str(manifest) in caplog.text
    # A folder-wide reader goes on without it...
    assert [entry.key for entry in timeline(tmp_path)] == ["t/a/original/weibo/local"]
    # ...and a command about that one snapshot fails, naming the file.
    with pytest.raises(SnapshotError, match=str(manifest)):
        resolve_snapshot(str(bad), tmp_path)


def test_a_manifest_that_is_not_an_object_is_named(tmp_path: Path) -> None:
    _, bad = _two_runs(tmp_path)
    (bad / MANIFEST).write_text("[1, 2]", encoding="utf-8")
    errors: list[SnapshotError] = []
    assert len(find_snapshots(tmp_path, on_bad=errors.append)) == 1
    assert [str(bad / MANIFEST) in str(error) for error in errors] == [True]


def test_corrupt_lines_are_reported_with_file_and_line_but_a_torn_tail_is_not(
    tmp_path: Path,
) -> None:
    good, bad = _two_runs(tmp_path)
    path = bad / OBSERVATIONS
    lines = path.read_text(encoding="utf-8")
    path.write_text(lines + "GARBAGE\n[1]\n" + lines + '{"key": "torn', encoding="utf-8")
    found = corrupt_lines([good / OBSERVATIONS, path, tmp_path / "missing.jsonl"])
    assert [str(error) for error in found] == [
        f"{path}:2: not JSON (Expecting value: line 1 column 1 (char 0))",
        f"{path}:3: not a JSON object",
    ]
    assert corrupt_lines([good / OBSERVATIONS]) == []


def test_a_damaged_warc_record_is_named_by_evidence_and_shown_by_the_report(
    start_testbed, tmp_path: Path
) -> None:
    from support import cli, observations, run_probes, write_list

    from snapshots.report import build_report
    from testbed import Action, Rule, RuleBook

    testbed = start_testbed(rules=RuleBook((Rule(parts=("四通桥",), action=Action.NOTICE),)))
    keyword_list = write_list(tmp_path / "l.yaml", [("bridge", "四通桥"), ("plain", "天气")])
    results = tmp_path / "results"
    folder = run_probes([keyword_list], testbed.url, results)
    bridge = next(o for o in observations(folder) if o["term"]["id"] == "bridge")
    warc = folder / "evidence.warc.gz"
    damaged = bytearray(warc.read_bytes())
    start = bridge["evidence"]["offset"] + 30
    damaged[start : start + 40] = bytes(40)
    warc.write_bytes(bytes(damaged))

    shown = cli("evidence", folder.name, bridge["key"], "--results", results)
    assert shown.returncode == 1
    assert f"{warc}: no readable record at offset {bridge['evidence']['offset']}" in (
        shown.stderr + shown.stdout
    )
    assert "Traceback" not in shown.stderr
    page = build_report(results).html
    assert "saved response unreadable" in page and "四通桥" in page


def test_diff_timeline_and_report_name_a_corrupt_line(tmp_path: Path) -> None:
    from support import cli

    results = tmp_path / "results"
    good, bad = _two_runs(results)
    path = bad / OBSERVATIONS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join([lines[0], "{not json\n", *lines[1:]]), encoding="utf-8")
    named = f"{path}:2: not JSON"
    for args in (
        ("diff", "good", "bad"),
        ("timeline",),
        ("report", "--out", tmp_path / "report.html"),
    ):
        shown = cli(*args, "--results", results)
        assert shown.returncode in (0, 3), (args, shown.stderr)
        assert f"warning: skipped {named}" in shown.stderr.replace("\n", ""), (args, shown.stderr)
