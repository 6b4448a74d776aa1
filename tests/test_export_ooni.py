"""``censorprobe export --format ooni``: measurements in OONI's base data format, checked field by
field against the spec's list."""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from snapshot_maker import probe, write_snapshot
from support import cli, observations, only_run, run_on_testbed, write_list
from typer.testing import CliRunner

from runners.cli import app
from testbed import Action, Rule, RuleBook

#: The toplevel keys of OONI's base data format and what each holds, from the "Specification"
#: block of ooni/spec, data-formats/df-000-base.md (data_format_version 0.2.0).
OONI_TIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")  # "2019-10-10 23:59:23", UTC
ASN = re.compile(r"^AS\d+$")


def _strings(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    )


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _ip(value: Any) -> bool:
    return isinstance(value, str) and bool(ipaddress.ip_address(value))


SPEC_FIELDS: dict[str, Callable[[Any], bool]] = {
    "annotations": _strings,  # map[string]string; optional
    "backend_version": _text,  # "clients of course are not supposed to emit this field"
    "bucket_date": _text,  # "clients of course are not supposed to emit this field"
    "data_format_version": lambda v: v == "0.2.0",
    "extensions": lambda v: (
        isinstance(v, dict) and all(isinstance(n, int) for n in v.values())
    ),  # map[string]int; optional
    "id": _text,
    "input": lambda v: v is None or isinstance(v, str),
    "input_hashes": lambda v: isinstance(v, list),
    "measurement_start_time": lambda v: isinstance(v, str) and bool(OONI_TIME.match(v)),
    "options": lambda v: isinstance(v, list) and all(isinstance(o, str) for o in v),
    "probe_asn": lambda v: isinstance(v, str) and bool(ASN.match(v)),
    "probe_network_name": _text,
    "probe_cc": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[A-Z]{2}", v)),
    "probe_city": _text,
    "probe_ip": _ip,
    "report_filename": _text,
    "report_id": lambda v: isinstance(v, str) and bool(v),
    "resolver_asn": lambda v: isinstance(v, str) and bool(ASN.match(v)),
    "resolver_ip": _ip,
    "resolver_network_name": _text,
    "software_name": lambda v: isinstance(v, str) and bool(v),
    "software_version": lambda v: isinstance(v, str) and bool(v),
    "test_helpers": lambda v: isinstance(v, dict),
    "test_keys": lambda v: isinstance(v, dict),
    "test_name": lambda v: isinstance(v, str) and bool(re.fullmatch(r"[a-z0-9_]+", v)),
    "test_runtime": lambda v: isinstance(v, int | float) and v >= 0,
    "test_start_time": lambda v: isinstance(v, str) and bool(OONI_TIME.match(v)),
    "test_version": lambda v: isinstance(v, str) and bool(v),
}
#: Keys a probe does not write: the collector and pipeline add ``backend_version``,
#: ``bucket_date``, ``report_filename`` and ``id`` (ooni/collector's MeasurementEntry: "added
#: by the pipeline"); OONI Probe omits ``input_hashes`` and ``probe_city``
#: (``omitempty`` in ooni/probe-cli's ``model.Measurement``).
NOT_WRITTEN_BY_PROBES = {
    "backend_version",
    "bucket_date",
    "report_filename",
    "id",
    "input_hashes",
    "probe_city",
}

RULES = RuleBook((Rule(parts=("习近平",), action=Action.NOTICE),))


def _stamp(observation_time: str) -> str:
    return datetime.fromisoformat(observation_time).strftime("%Y-%m-%d %H:%M:%S")


def test_ooni_measurements_match_the_base_data_format(start_testbed, tmp_path: Path) -> None:
    testbed = start_testbed(rules=RULES)
    results = tmp_path / "results"
    keywords = write_list(tmp_path / "l.yaml", [("xi", "习近平"), ("bread", "面包")])
    run_on_testbed(keywords, testbed.url, results, check=True)
    folder = only_run(results)
    out = tmp_path / "measurements.jsonl"
    ran = cli("export", "--format", "ooni", "-o", out, "--results", results)
    assert ran.returncode == 0, ran.stderr
    lines = out.read_text(encoding="utf-8").splitlines()
    written = observations(folder, controls=True)
    assert len(lines) == len(written) and f"wrote {len(written)} measurements" in ran.stdout
    expected_keys = set(SPEC_FIELDS) - NOT_WRITTEN_BY_PROBES
    for line, observation in zip(lines, written, strict=True):
        measurement = json.loads(line)
        assert set(measurement) == expected_keys, set(measurement) ^ expected_keys
        for name, value in measurement.items():
            assert SPEC_FIELDS[name](value), (name, value)
        assert (measurement["probe_cc"], measurement["probe_asn"]) == ("ZZ", "AS0")
        assert measurement["report_id"] == folder.name
        assert measurement["input"] == observation["query"]
        assert measurement["test_name"] == observation["platform"] == "testbed"
        assert measurement["measurement_start_time"] == _stamp(observation["started_at"])
        assert measurement["test_runtime"] == observation["elapsed_ms"] / 1000
        keys = measurement["test_keys"]
        assert {k: v for k, v in keys.items() if k != "evidence_file"} == observation
        assert keys["evidence_file"] == f"{folder.name}/evidence.warc.gz"
        assert measurement["annotations"]["censorprobe_role"] == observation["role"]
    xi = next(json.loads(line) for line in lines if json.loads(line)["input"] == "习近平")
    assert xi["test_keys"]["verdict"] == "censored" and xi["test_keys"]["signal"] == "notice"


def test_a_corrupt_line_is_named_and_the_rest_written(tmp_path: Path) -> None:
    results = tmp_path / "results"
    folder = write_snapshot(
        results, "run", "2026-10-01T08:00:00.000Z", [probe("a", "visible"), probe("b", "visible")]
    )
    path = folder / "observations.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(lines[0] + "[1, 2]\n" + "".join(lines[1:]), encoding="utf-8")
    out = tmp_path / "m.jsonl"
    ran = CliRunner().invoke(
        app, ["export", "--format", "ooni", "-o", str(out)] + ["--results", str(results)]
    )
    assert ran.exit_code == 0, ran.output
    assert f"{path}:2: not a JSON object" in ran.output
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
