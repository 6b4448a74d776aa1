"""Shards 1/3, 2/3, 3/3 merged hold the keys of one unsharded run, evidence readable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import manifest, observations, run_probes, write_list

from snapshots.evidence import read_exchange
from snapshots.merge import MergeError, merge_snapshots
from testbed import Action, Rule, RuleBook

TERMS = [(f"t{i:02d}", f"词语{i}" + ("习近平" if i % 4 == 0 else "")) for i in range(18)]
RULES = RuleBook((Rule(parts=("习近平",), action=Action.NOTICE),))


def test_shards_merge_into_the_unsharded_run(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    lists = [write_list(tmp_path / "list.yaml", TERMS)]
    results = tmp_path / "results"
    whole = run_probes(lists, testbed.url, results)
    shards = [run_probes(lists, testbed.url, results, shard=f"{i}/3") for i in (1, 2, 3)]
    shard_keys = [{o["key"] for o in observations(folder)} for folder in shards]
    assert all(shard_keys) and not (shard_keys[0] & shard_keys[1])

    merged = merge_snapshots(shards, tmp_path / "merged", "all")
    assert merged.status == "complete" and not merged.conflicts
    rows = observations(merged.folder)
    keys = [o["key"] for o in rows]
    assert len(keys) == len(set(keys))
    assert {(o["key"], o["verdict"], o["signal"]) for o in rows} == {
        (o["key"], o["verdict"], o["signal"]) for o in observations(whole)
    }
    info = manifest(merged.folder)
    assert info["counts"] == manifest(whole)["counts"]
    assert info["status"] == "complete" and info["run_id"] == "all" and info["shard"] is None
    assert [entry["shard"] for entry in info["merged"]["from"]] == ["1/3", "2/3", "3/3"]

    # Offsets were moved: every observation still points at its own response.
    warc = merged.folder / "evidence.warc.gz"
    assert warc.stat().st_size == sum((s / "evidence.warc.gz").stat().st_size for s in shards)
    for row in observations(merged.folder, controls=True):
        stored = read_exchange(warc, row["evidence"]["offset"])
        assert stored.key == row["key"]
    # Control checks renumbered so that each (key, check) is unique, windows moved too.
    controls = [
        (o["key"], o["check"])
        for o in observations(merged.folder, controls=True)
        if o["role"] == "control"
    ]
    assert len(controls) == len(set(controls))
    checks = {check for _, check in controls}
    assert all(o["controls"]["closing"] in checks for o in rows)


def test_conflicts_are_reported_and_first_kept(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    lists = [write_list(tmp_path / "list.yaml", TERMS[:4])]
    first = run_probes(lists, testbed.url, tmp_path / "a")
    second = run_probes(lists, testbed.url, tmp_path / "b")
    # Pretend the platform changed its mind about one key in the second run.
    lines = (second / "observations.jsonl").read_text(encoding="utf-8").splitlines()
    changed = [json.loads(line) for line in lines]
    target = next(o for o in changed if o["role"] == "probe" and o["verdict"] == "visible")
    target["verdict"], target["signal"] = "censored", "notice"
    (second / "observations.jsonl").write_text(
        "".join(json.dumps(o, ensure_ascii=False) + "\n" for o in changed), encoding="utf-8"
    )
    merged = merge_snapshots([first, second], tmp_path / "merged")
    (conflict,) = merged.conflicts
    assert conflict.key == target["key"] and conflict.kept_outcome == "visible"
    assert merged.duplicates == 3
    kept = {o["key"]: o["verdict"] for o in observations(merged.folder)}
    assert kept[target["key"]] == "visible"
    assert manifest(merged.folder)["merged"]["conflicts"] == [str(conflict)]


def test_inputs_of_different_lists_are_refused(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    one = run_probes([write_list(tmp_path / "a.yaml", TERMS[:2])], testbed.url, tmp_path / "r")
    two = run_probes([write_list(tmp_path / "b.yaml", TERMS[2:4])], testbed.url, tmp_path / "r")
    with pytest.raises(MergeError, match="sha256"):
        merge_snapshots([one, two], tmp_path / "merged")
    assert not (tmp_path / "merged").exists() or not any((tmp_path / "merged").iterdir())


def test_an_interrupted_input_makes_the_merge_interrupted(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed()
    lists = [write_list(tmp_path / "list.yaml", TERMS[:4])]
    shards = [run_probes(lists, testbed.url, tmp_path / "r", shard=f"{i}/2") for i in (1, 2)]
    data = manifest(shards[1])
    data["status"] = "interrupted"
    (shards[1] / "manifest.json").write_text(json.dumps(data), encoding="utf-8")
    assert merge_snapshots(shards, tmp_path / "merged").status == "interrupted"
