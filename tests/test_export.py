"""``censorprobe export``: one flat table of observations, read back with pyarrow and DuckDB."""

from __future__ import annotations

import csv
import json
import re
import sqlite3
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import typer
from snapshot_maker import control, probe, write_snapshot
from support import REPO
from typer.testing import CliRunner

from runners.cli.export import ExportFormat, export_command
from snapshots import EXPORT_COLUMNS, EXPORT_FORMATS, export_observations, find_snapshots
from snapshots.format import TOOL
from snapshots.tabular import FORMULA_LEADING, write_csv

SQL2016_RESERVED = Path(__file__).parent / "fixtures" / "sql" / "sql2016-reserved.txt"
#: Hostile text a platform could put in a title or notice: each would run as a formula.
FORMULAS = ['=HYPERLINK("http://x.example")', "+1+1", "-2+3", "@SUM(A1)", "\tx", "\r=1"]


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    notice = "根据相关法律法规和政策，“四通桥”搜索结果未予显示。"
    bridge = probe("bridge", "censored", signal="notice", notice=notice, text="四通桥")
    bridge["term"].update(tags=["2022", "protest,bridge"], note="Sitong bridge banner")
    silent = probe(
        "pooh", "censored", signal="zero_results", platform="bing", confidence="confirmed"
    )
    silent["confirmation"] = {"result": "confirmed", "reason": "term + truism found nothing"}
    first = write_snapshot(
        root,
        "first",
        "2026-10-01T08:00:00.000Z",
        [control("weather", "visible", 1), bridge, silent, control("weather", "visible", 2)],
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


@pytest.fixture
def hostile(tmp_path: Path) -> Path:
    """A snapshot whose platform answered with formula-leading text in every text field."""
    root = tmp_path / "hostile"
    observations = []
    for number, text in enumerate(FORMULAS):
        observation = probe(f"f{number}", "censored", signal="notice", notice=text, text=text)
        observation["error"] = {"kind": "parse", "detail": text}
        observations.append(observation)
    write_snapshot(root, "hostile", "2026-10-03T08:00:00.000Z", observations)
    return root


def test_parquet_has_the_columns_and_every_observation(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.parquet"
    assert export_observations(find_snapshots(results), out, "parquet") == 6
    table = pq.read_table(out)
    assert table.column_names == EXPORT_COLUMNS
    assert table.num_rows == 6
    assert table.schema.field("measurement_start_time").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("result_count").type == pa.int64()
    assert table.schema.field("term_tags").type == pa.list_(pa.string())
    rows = table.to_pylist()
    assert [row["report_id"] for row in rows] == ["first"] * 4 + ["second"] * 2
    assert all(row["run_id"] == row["report_id"] for row in rows)
    assert all(row["platform"] == row["test_name"] for row in rows)
    bridge = next(r for r in rows if r["input"] == "四通桥")
    assert bridge["platform"] == "weibo" and bridge["verdict"] == "censored"
    assert bridge["signal"] == "notice" and bridge["notice"].startswith("根据相关法律法规")
    assert bridge["confidence"] == "confirmed" and bridge["confirmation_result"] is None
    assert (
        bridge["software_name"] == "censorprobe" and bridge["software_version"] == TOOL["version"]
    )
    assert bridge["key"] == "t/bridge/original/weibo/local" and bridge["term_id"] == "bridge"
    assert bridge["term_parts"] == ["四通桥"] and bridge["term_tags"] == ["2022", "protest,bridge"]
    assert bridge["term_note"] == "Sitong bridge banner"
    assert bridge["evidence_sha256"] is None and bridge["evidence_file"] is None
    assert (bridge["isolation_trigger"], bridge["isolation_queries"]) == (["四通", "桥"], 9)
    assert all(r["isolation_trigger"] is None for r in rows if r is not bridge)
    silent = next(r for r in rows if r["signal"] == "zero_results")
    assert (silent["confidence"], silent["confirmation_result"]) == ("confirmed", "confirmed")
    assert silent["confirmation_reason"] == "term + truism found nothing"
    assert silent["term_tags"] is None  # a snapshot written without tags: null, not made up
    assert [r["control_check"] for r in rows if r["role"] == "control"] == [1, 2]
    timeout = next(r for r in rows if r["error_kind"] == "timeout")
    assert timeout["http_status"] is None and timeout["error_detail"] == "timeout (test)"
    pooh = rows[-1]
    assert pooh["evidence_sha256"] == "ab" * 32 and pooh["evidence_offset"] == 1290
    assert (pooh["run_id"], pooh["evidence_file"]) == ("second", "second/evidence.warc.gz")


def test_csv_reads_back_with_duckdb_and_csv(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "all.csv"
    assert export_observations(find_snapshots(results), out, "csv") == 6
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == EXPORT_COLUMNS and len(rows) == 6
    assert rows[0]["measurement_start_time"] == "2026-10-01T08:00:00.000Z"
    bridge = next(r for r in rows if r["term_id"] == "bridge")
    assert json.loads(bridge["term_tags"]) == ["2022", "protest,bridge"]
    assert json.loads(bridge["isolation_trigger"]) == ["四通", "桥"]
    sql = "SELECT count(*), count(DISTINCT report_id), sum(result_count) FROM read_csv($path)"
    counted = duckdb.connect().execute(sql, {"path": str(out)}).fetchone()
    assert counted == (6, 2, 99 + 100 * 2)  # numbers stay numbers


def test_csv_neutralises_formula_cells_as_owasp_recommends(hostile: Path, tmp_path: Path) -> None:
    out = tmp_path / "hostile.csv"
    assert export_observations(find_snapshots(hostile), out, "csv") == len(FORMULAS)
    with out.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    for row, text in zip(rows, FORMULAS, strict=True):
        for column in ("input", "term_text", "notice", "error_detail"):
            assert row[column] == "'" + text, (column, row[column])
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(FORMULA_LEADING)]
    # every text cell is quoted; numbers are not
    first_line = out.read_text(encoding="utf-8").splitlines()[1]
    assert first_line.startswith('"') and ",7," in first_line  # elapsed_ms unquoted


def test_diff_and_timeline_csv_are_neutralised_too() -> None:
    import io

    stream = io.StringIO()
    write_csv(["text", "shift"], [{"text": text, "shift": -0.5} for text in FORMULAS], stream)
    rows = list(csv.DictReader(io.StringIO(stream.getvalue())))
    assert [row["text"] for row in rows] == ["'" + text for text in FORMULAS]
    assert {row["shift"] for row in rows} == {"-0.5"}  # a negative number is not text


def test_no_column_is_an_sql_reserved_word() -> None:
    lines = SQL2016_RESERVED.read_text(encoding="utf-8").splitlines()
    standard = {line.lower() for line in lines if line and not line.startswith("#")}
    assert {"check", "trigger", "select"} <= standard
    duck = {
        name
        for (name,) in duckdb.connect()
        .execute("SELECT keyword_name FROM duckdb_keywords() WHERE keyword_category = 'reserved'")
        .fetchall()
    }
    assert "check" in duck
    for column in EXPORT_COLUMNS:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", column), column
        assert column not in standard and column not in duck, column
    unquoted = ", ".join(f"{column} TEXT" for column in EXPORT_COLUMNS)
    database = sqlite3.connect(":memory:")
    database.execute(f"CREATE TABLE t ({unquoted})")  # SQLite's parser takes every name bare
    database.execute(f"SELECT {', '.join(EXPORT_COLUMNS)} FROM t")


def test_readme_documents_every_export_column() -> None:
    text = (REPO / "results" / "README.md").read_text(encoding="utf-8")
    section = text.split("## Export columns", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([a-z_0-9]+)` \|", section, flags=re.MULTILINE)
    assert documented == EXPORT_COLUMNS


def test_the_cli_offers_every_export_format() -> None:
    assert tuple(ExportFormat) == EXPORT_FORMATS


def test_cli_exports_every_snapshot_or_the_ones_named(results: Path, tmp_path: Path) -> None:
    app = typer.Typer()
    app.command()(export_command)
    runner = CliRunner()
    everything = tmp_path / "everything.parquet"
    ran = runner.invoke(app, ["--results", str(results), "--out", str(everything)])
    assert ran.exit_code == 0, ran.output
    assert pq.read_table(everything).num_rows == 6
    latest = tmp_path / "latest.csv"
    args = ["latest", "--format", "csv", "-o", str(latest), "--results", str(results)]
    assert runner.invoke(app, args).exit_code == 0
    assert len(latest.read_text(encoding="utf-8").splitlines()) == 1 + 2
    assert runner.invoke(app, ["nope", "--results", str(results)]).exit_code == 1
    assert runner.invoke(app, ["--results", str(tmp_path / "empty")]).exit_code == 1


def test_cli_names_a_corrupt_line_and_exports_the_rest(results: Path, tmp_path: Path) -> None:
    observations = results / "first" / "observations.jsonl"
    lines = observations.read_text(encoding="utf-8").splitlines(keepends=True)
    observations.write_text(lines[0] + "{not json\n" + "".join(lines[1:]), encoding="utf-8")
    app = typer.Typer()
    app.command()(export_command)
    out = tmp_path / "out.parquet"
    ran = CliRunner().invoke(app, ["--results", str(results), "-o", str(out)])
    assert ran.exit_code == 0, ran.output
    assert f"{observations}:2: not JSON" in ran.output
    assert pq.read_table(out).num_rows == 6


def test_a_real_run_exports_its_terms_tags_and_note(start_testbed, tmp_path: Path) -> None:
    from support import CONTROLS_YAML, run_on_testbed

    listing = tmp_path / "tagged.yaml"
    listing.write_text(
        "list: tagged\ndescription: tags and notes\nlanguage: zh-Hans\nterms:\n"
        "  - {id: bread, text: 面包, category: food, tags: [daily, '=1+1'], note: a note}\n"
        + CONTROLS_YAML,
        encoding="utf-8",
    )
    out = tmp_path / "results"
    run_on_testbed(listing, start_testbed().url, out, check=True)
    table = tmp_path / "run.csv"
    export_observations(find_snapshots(out), table, "csv")
    with table.open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    (bread,) = [row for row in rows if row["term_id"] == "bread"]
    assert json.loads(bread["term_tags"]) == ["daily", "=1+1"]  # inside JSON: not a formula
    assert bread["term_note"] == "a note" and json.loads(bread["term_parts"]) == ["面包"]
    assert (
        bread["evidence_file"].endswith("/evidence.warc.gz") and int(bread["evidence_offset"]) >= 0
    )
    controls = [row for row in rows if row["role"] == "control"]
    assert controls and all(row["term_tags"] == "[]" for row in controls)


def test_cli_writes_into_a_new_folder_and_names_a_corrupt_isolation(
    results: Path, tmp_path: Path
) -> None:
    app = typer.Typer()
    app.command()(export_command)
    out = tmp_path / "new" / "folder" / "all.csv"
    ran = CliRunner().invoke(app, ["--results", str(results), "--format", "csv", "-o", str(out)])
    assert ran.exit_code == 0, ran.output
    assert out.is_file()
    isolations = results / "first" / "isolations.jsonl"
    isolations.write_text("oops\n" + isolations.read_text(encoding="utf-8"), encoding="utf-8")
    ran = CliRunner().invoke(app, ["--results", str(results), "-o", str(out)])
    assert ran.exit_code == 1 and f"{isolations}:1: not JSON" in ran.output
    assert ran.exception is None or isinstance(ran.exception, SystemExit)


def test_each_probe_carries_its_twin_platform_answer(tmp_path: Path) -> None:
    root = tmp_path / "results"
    write_snapshot(
        root,
        "pair",
        "2026-10-03T08:00:00.000Z",
        [
            probe("bridge", "censored", signal="notice", platform="bing_cn"),
            probe("bridge", "visible", count=5120, platform="bing"),
            probe("bridge", "censored", signal="notice", platform="bing_cn", vantage="vps"),
            probe("pooh", "visible", count=3, platform="bing_cn"),
        ],
    )
    out = tmp_path / "all.parquet"
    export_observations(find_snapshots(root), out, "parquet")
    rows = {(r["term_id"], r["platform"], r["vantage"]): r for r in pq.read_table(out).to_pylist()}
    hidden = rows[("bridge", "bing_cn", "local")]
    assert (hidden["twin_platform"], hidden["twin_verdict"], hidden["twin_result_count"]) == (
        "bing",
        "visible",
        5120,
    )
    # another vantage, a term the twin never saw, and the twin itself: no twin answer
    for key in (
        ("bridge", "bing_cn", "vps"),
        ("pooh", "bing_cn", "local"),
        ("bridge", "bing", "local"),
    ):
        assert rows[key]["twin_verdict"] is None, key
