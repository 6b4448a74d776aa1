"""``censorprobe export --format sqlite``: runs, observations, isolations, browsed by datasette."""

from __future__ import annotations

import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from snapshot_maker import control, probe, write_snapshot
from support import cli

from snapshots import EXPORT_COLUMNS, find_snapshots
from snapshots.sqlite import INDEXES, RUN_COLUMNS, export_sqlite

_STARTUP_SECONDS = 60


@pytest.fixture
def results(tmp_path: Path) -> Path:
    root = tmp_path / "results"
    bridge = probe("bridge", "censored", signal="notice", notice="未予显示", text="四通桥")
    bridge["term"].update(tags=["2022", "bridge"], note="banner")
    pooh = probe("pooh", "visible", count=12, platform="bing")
    pooh["term"].update(tags=["2022"], note=None)
    first = write_snapshot(
        root,
        "first",
        "2026-10-01T08:00:00.000Z",
        [control("weather", "visible", 1), bridge, pooh, control("weather", "visible", 2)],
    )
    isolated = {
        "key": bridge["key"],
        "platform": "weibo",
        "query": "四通桥",
        "trigger": ["四通", "桥"],
        "queries": 9,
        "reused": False,
        "signal": "notice",
        "error": None,
    }
    (first / "isolations.jsonl").write_text(json.dumps(isolated) + "\n", encoding="utf-8")
    write_snapshot(
        root,
        "second",
        "2026-10-02T08:00:00.000Z",
        [probe("bridge", "error", error="timeout"), probe("pooh", "censored", signal="soft")],
    )
    return root


def test_tables_indexes_and_rows(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.db"
    assert export_sqlite(find_snapshots(results), out) == {
        "runs": 2,
        "observations": 6,
        "isolations": 1,
    }
    database = sqlite3.connect(out)
    columns = [row[1] for row in database.execute("PRAGMA table_info(observations)")]
    assert columns == EXPORT_COLUMNS
    assert [row[1] for row in database.execute("PRAGMA table_info(runs)")] == list(RUN_COLUMNS)
    for table, indexed in INDEXES.items():
        names = {row[1] for row in database.execute(f"PRAGMA index_list({table})")}
        assert {f"{table}_{column}" for column in indexed} <= names
    plan = " ".join(
        str(row)
        for row in database.execute(
            "EXPLAIN QUERY PLAN SELECT * FROM observations WHERE verdict = 'censored'"
        )
    )
    assert "observations_verdict" in plan
    links = database.execute("PRAGMA foreign_key_list(observations)").fetchall()
    assert [(row[2], row[3], row[4]) for row in links] == [("runs", "run_id", "run_id")]
    runs = database.execute("SELECT run_id, status, probes, manifest FROM runs").fetchall()
    assert [(r[0], r[1], r[2]) for r in runs] == [
        ("first", "complete", 2),
        ("second", "complete", 2),
    ]
    assert json.loads(runs[0][3])["run_id"] == "first"
    (trigger,) = database.execute("SELECT trigger_parts FROM isolations").fetchone()
    assert json.loads(trigger) == ["四通", "桥"]
    row = database.execute(
        "SELECT term_tags, isolation_trigger, result_count FROM observations"
        " WHERE key = 't/bridge/original/weibo/local' AND run_id = 'first'"
    ).fetchone()
    assert json.loads(row[0]) == ["2022", "bridge"] and json.loads(row[1]) == ["四通", "桥"]
    assert row[2] is None


def test_export_replaces_an_older_file(results: Path, tmp_path: Path) -> None:
    out = tmp_path / "results.db"
    out.write_bytes(b"not a database")
    ran = cli("export", "--format", "sqlite", "-o", out, "--results", results)
    assert ran.returncode == 0, ran.stderr
    assert "wrote 6 observations (2 runs, 1 isolations)" in ran.stdout
    count = sqlite3.connect(out).execute("SELECT count(*) FROM observations").fetchone()
    assert count == (6,)
    assert not out.with_name(out.name + ".tmp").exists()


def _free_port() -> int:
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return int(probe_socket.getsockname()[1])


@pytest.fixture
def datasette(results: Path, tmp_path: Path) -> Iterator[str]:
    """A real datasette process on loopback serving the exported database; stopped after."""
    database = tmp_path / "results.db"
    export_sqlite(find_snapshots(results), database)
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "datasette", "serve", str(database)]
        + ["--host", "127.0.0.1", "--port", str(port), "--setting", "sql_time_limit_ms", "5000"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + _STARTUP_SECONDS
        while True:
            try:
                if httpx.get(f"{base}/-/versions.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                output = process.stdout.read().decode() if process.stdout else ""
                raise AssertionError(f"datasette did not start: {output}")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_datasette_filters_and_facets_the_export(datasette: str) -> None:
    def get(path: str, **params: str) -> dict:
        response = httpx.get(f"{datasette}/results/{path}.json", params=params, timeout=10)
        assert response.status_code == 200, response.text
        return dict(response.json())

    faceted = get("observations", _facet="verdict", role="probe")
    verdicts = {
        item["value"]: item["count"] for item in faceted["facet_results"]["verdict"]["results"]
    }
    assert verdicts == {"censored": 2, "visible": 1, "error": 1}
    filtered = get("observations", platform="weibo", verdict="censored", _shape="objects")
    assert [(r["run_id"], r["input"]) for r in filtered["rows"]] == [
        ("first", "四通桥"),
        ("second", "词pooh"),
    ]
    tags = get("observations", _facet_array="term_tags", run_id="first", role="probe")
    counted = {
        item["value"]: item["count"] for item in tags["facet_results"]["term_tags"]["results"]
    }
    assert counted == {"2022": 2, "bridge": 1}
    runs = get("runs", _shape="objects")
    assert [r["run_id"] for r in runs["rows"]] == ["first", "second"]
    isolations = get("isolations", _shape="objects", key="t/bridge/original/weibo/local")
    assert [json.loads(r["trigger_parts"]) for r in isolations["rows"]] == [["四通", "桥"]]
