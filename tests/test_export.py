"""``censorprobe export``: one flat table of observations, read back with pyarrow and DuckDB."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from snapshot_maker import control, probe, write_snapshot
from typer.testing import CliRunner

from runners.cli.results import export_command
from snapshots import EXPORT_COLUMNS, export_observations, find_snapshots
from snapshots.format import TOOL


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    notice = "根据相关法律法规和政策，“四通桥”搜索结果未予显示。"
    first = write_snapshot(
        root,
        "first",
        "2026-10-01T08:00:00.000Z",
        [
            control("weather", "visible", 1),
            probe("bridge", "censored", signal="notice", notice=notice, text="四通桥"),
            probe("pooh", "visible", count=1234, platform="bing"),
            control("weather", "visible", 2),
        ],
    )
    isolated = {"key": "t/bridge/original/weibo/local", "trigger": ["四通", "桥"], "queries": 9}
    (first / "isolations.jsonl").write_text(
        json.dumps(isolated, ensure_ascii=False) + '\n{"key": "t/po', encoding="utf-8"
    )  # and a torn last line
    second = [probe("bridge", "error", error="timeout"), probe("pooh", "visible", count=99)]
    second[1]["evidence"] = {"sha256": "ab" * 32, "offset": 1290, "length": 700}
    folder = write_snapshot(root, "second", "2026-10-02T08:00:00.000Z", second, torn_tail='{"sch')
    (folder / "evidence.warc.gz").write_bytes(b"")  # the export names the file, never reads it
    return root


def test_parquet_has_the_columns_and_every_observation(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.parquet"
    assert export_observations(find_snapshots(results), out, "parquet") == 6
    table = pq.read_table(out)
    assert table.column_names == EXPORT_COLUMNS
    assert table.num_rows == 6
    assert table.schema.field("measurement_start_time").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("result_count").type == pa.int64()
    rows = table.to_pylist()
    assert [row["report_id"] for row in rows] == ["first"] * 4 + ["second"] * 2
    bridge = next(r for r in rows if r["input"] == "四通桥")
    assert bridge["test_name"] == "weibo" and bridge["verdict"] == "censored"
    assert bridge["signal"] == "notice" and bridge["notice"].startswith("根据相关法律法规")
    assert (
        bridge["software_name"] == "censorprobe" and bridge["software_version"] == TOOL["version"]
    )
    assert bridge["key"] == "t/bridge/original/weibo/local" and bridge["term_id"] == "bridge"
    assert bridge["evidence_sha256"] is None and bridge["evidence_file"] is None
    assert (bridge["trigger"], bridge["trigger_queries"]) == ("四通 + 桥", 9)
    assert all(r["trigger"] is None for r in rows if r is not bridge)  # not the second run's
    assert [r["check"] for r in rows if r["role"] == "control"] == [1, 2]
    timeout = next(r for r in rows if r["error_kind"] == "timeout")
    assert timeout["http_status"] is None and timeout["error_detail"] == "timeout (test)"
    pooh = rows[-1]
    assert pooh["evidence_sha256"] == "ab" * 32 and pooh["evidence_offset"] == 1290
    assert pooh["evidence_file"] == "second/evidence.warc.gz"


def test_csv_reads_back_with_duckdb_and_csv(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    assert export_observations(find_snapshots(results), out, "csv") == 6
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == EXPORT_COLUMNS and len(rows) == 6
    assert rows[0]["measurement_start_time"] == "2026-10-01T08:00:00.000Z"
    sql = "SELECT count(*), count(DISTINCT report_id) FROM read_csv($path)"
    counted = duckdb.connect().execute(sql, {"path": str(out)}).fetchone()
    assert counted == (6, 2)


def test_cli_exports_every_snapshot_or_the_ones_named(results: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(export_command)
    runner = CliRunner()
    everything = tmp_path / "everything.parquet"
    ran = runner.invoke(app, ["--results", str(results), "--out", str(everything)])
    assert ran.exit_code == 0, ran.output
    assert pq.read_table(everything).num_rows == 6
    latest = tmp_path / "latest.csv"
    args = ["latest", "--format", "csv", "--out", str(latest), "--results", str(results)]
    assert runner.invoke(app, args).exit_code == 0
    assert len(latest.read_text(encoding="utf-8").splitlines()) == 1 + 2
    assert runner.invoke(app, ["nope", "--results", str(results)]).exit_code == 1
    assert runner.invoke(app, ["--results", str(tmp_path / "empty")]).exit_code == 1
