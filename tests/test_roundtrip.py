"""A snapshot written by the real runner reads back, field by field, through every reader.

The writer and the readers share ``snapshots.format``; this test is the other half of that
promise: a field renamed or retyped on one side comes back as null (or missing) on the other,
and one of the assertions below fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from support import observations, run_probes, write_list

from snapshots.diff import diff_snapshots
from snapshots.duck import ObservationSql, connect
from snapshots.export import export_observations
from snapshots.format import OBSERVATION_FIELDS
from snapshots.report import build_report
from snapshots.store import find_snapshots
from snapshots.timeline import timeline
from testbed import Action, Rule, RuleBook

TERMS = [
    ("bridge", "四通桥"),
    ("partial", "六四"),
    ("zero", "香港独立"),
    ("soft", "新疆"),
    ("plain", "天安门"),
]
EPOCH_ONE = RuleBook(
    (
        Rule(parts=("四通桥",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.PARTIAL_NOTICE),
        Rule(parts=("香港独立",), action=Action.ZERO_RESULTS),
        Rule(parts=("新疆",), action=Action.SOFT),
    )
)
#: The second run: the bridge is no longer hidden, the plain term now is.
EPOCH_TWO = RuleBook(
    (
        Rule(parts=("天安门",), action=Action.NOTICE),
        Rule(parts=("六四",), action=Action.PARTIAL_NOTICE),
        Rule(parts=("香港独立",), action=Action.ZERO_RESULTS),
        Rule(parts=("新疆",), action=Action.SOFT),
    )
)
#: Fields no tabular reader needs (``items`` is for people and the evidence view).
UNREAD = {"items"}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    from testbed import TestbedConfig as Config
    from testbed import serve_in_thread

    root = tmp_path_factory.mktemp("roundtrip")
    keyword_list = write_list(root / "list.yaml", TERMS)
    results = root / "results"
    folders = []
    for rules in (EPOCH_ONE, EPOCH_TWO):
        with serve_in_thread(Config(rules=rules)) as testbed:
            folders.append(run_probes([keyword_list], testbed.url, results))
    return results, folders[0], folders[1]


def _leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every scalar of a JSON value by its dotted path (lists by index)."""
    if isinstance(value, dict):
        return {
            k: v for key, item in value.items() for k, v in _leaves(item, f"{path}.{key}").items()
        }
    if isinstance(value, list):
        return {
            k: v for i, item in enumerate(value) for k, v in _leaves(item, f"{path}[{i}]").items()
        }
    return {path.lstrip("."): value}


def test_the_runs_cover_every_verdict_and_confidence(runs: tuple[Path, Path, Path]) -> None:
    _, first, _ = runs
    seen = {(o["verdict"], o["signal"], o.get("confidence")) for o in observations(first)}
    assert ("censored", "notice", "confirmed") in seen
    assert ("censored", "zero_results", "confirmed") in seen  # the testbed's truism confirms it
    assert ("censored", "soft", "confirmed") in seen
    assert ("visible", None, None) in seen


def test_the_duckdb_layer_reads_every_field_the_runner_wrote(
    runs: tuple[Path, Path, Path],
) -> None:
    _, first, _ = runs
    columns = [name for name in OBSERVATION_FIELDS if name not in UNREAD]
    query = ObservationSql()
    source = query.observations("files", [first / "observations.jsonl"], columns, probes_only=False)
    names = ", ".join(f'to_json("{c}") AS "{c}"' for c in columns)
    cursor = connect().execute(f"SELECT key, role, {names} FROM {source}", query.parameters)
    read = {
        (
            row[0],
            row[1],
            row[2 + columns.index("check")] and int(row[2 + columns.index("check")]),
        ): dict(zip(columns, row[2:], strict=True))
        for row in cursor.fetchall()
    }
    written = observations(first, controls=True)
    assert len(read) == len(written)
    for observation in written:
        row = read[(observation["key"], observation["role"], observation.get("check"))]
        for name in columns:
            if observation.get(name) is None:
                continue
            assert row[name] is not None, f"{name} of {observation['key']} read back as null"
            back = json.loads(row[name])
            for leaf, value in _leaves(observation[name], name).items():
                got = _leaves(back, name).get(leaf)
                if isinstance(value, str) and "T" in value and value.endswith("Z"):
                    continue  # timestamps come back as DuckDB's text form
                assert got == value, (
                    f"{leaf} of {observation['key']}: wrote {value!r}, read {got!r}"
                )


#: What an export row must carry of each observation (by value, whatever the column names).
EXPORTED = [
    "run_id",
    "key",
    "role",
    "platform",
    "vantage",
    "query",
    "verdict",
    "signal",
    "confidence",
    "result_count",
    "notice",
    "elapsed_ms",
    "attempts",
    "fingerprint",
    "term.id",
    "term.text",
    "term.list",
    "term.category",
    "request.status",
    "request.url",
    "error.kind",
    "evidence.offset",
]


def test_export_carries_every_field_a_researcher_reads(
    runs: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    results, first, second = runs
    out = tmp_path / "all.parquet"
    written = observations(first, controls=True) + observations(second, controls=True)
    assert export_observations(find_snapshots(results), out, "parquet") == len(written)
    rows = [
        {json.dumps(v, ensure_ascii=False, default=str) for v in _leaves(row).values()}
        for row in pq.read_table(out).to_pylist()
    ]
    for observation in written:
        leaves = _leaves(observation)
        wanted = {
            json.dumps(leaves[leaf], ensure_ascii=False)
            for leaf in EXPORTED
            if leaves.get(leaf) is not None
        }
        best = max(rows, key=lambda values: len(wanted & values))
        assert wanted <= best, (
            f"{sorted(wanted - best)} of {observation['key']} missing from its export row"
        )


def test_timeline_and_diff_read_what_the_runner_wrote(runs: tuple[Path, Path, Path]) -> None:
    results, first, second = runs
    last = {o["key"]: o for o in observations(second)}
    lines = {line.key: line for line in timeline(results, with_points=True)}
    assert lines.keys() == last.keys()
    for key, observation in last.items():
        current = lines[key].current
        assert (current.verdict, current.signal) == (observation["verdict"], observation["signal"])
        assert len(lines[key].points) == 2
    result = diff_snapshots(first, second)
    kinds = {change.key.split("/")[1]: str(change.kind) for change in result.changes}
    assert kinds.get("bridge") == "no_longer_censored"
    assert kinds.get("plain") == "newly_censored"


def test_the_report_shows_each_censored_term_with_its_notice(
    runs: tuple[Path, Path, Path],
) -> None:
    results, _, second = runs
    html = build_report(results).html
    for observation in observations(second):
        if observation["verdict"] == "censored":
            assert observation["query"] in html
        if observation.get("notice"):
            assert observation["notice"] in html
