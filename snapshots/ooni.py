"""Observations as OONI measurements: OONI's base data format, one JSON object a line.

The envelope is the one of ``data-formats/df-000-base.md`` in ooni/spec (data format
version 0.2.0), so the data can go through OONI-aware tooling. What a run does not know is
written as OONI Probe writes it when it cannot or may not tell (the ``Default*`` values of
ooni/probe-cli's ``model`` package): ``probe_cc`` ``ZZ``, ``probe_asn`` ``AS0``, ``probe_ip``
``127.0.0.1``, ``resolver_asn`` ``AS0``, ``resolver_ip`` ``127.0.0.2``, network names empty.
``test_name`` is the platform and ``test_version`` its adapter's version, as in the flat
export; ``input`` is the query sent. ``test_keys`` holds the observation line itself (its
fields are documented in results/README.md) and ``evidence_file``, the run's WARC file
relative to the results folder, into which ``test_keys.evidence.offset`` points.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from snapshots.format import EVIDENCE, CorruptLine, iter_observations
from snapshots.store import Snapshot

__all__ = ["DATA_FORMAT_VERSION", "UNKNOWN", "export_ooni", "measurement"]

DATA_FORMAT_VERSION = "0.2.0"
#: OONI's values for what a probe does not know about where it ran.
UNKNOWN = {
    "probe_asn": "AS0",
    "probe_cc": "ZZ",
    "probe_ip": "127.0.0.1",
    "probe_network_name": "",
    "resolver_asn": "AS0",
    "resolver_ip": "127.0.0.2",
    "resolver_network_name": "",
}


def _ooni_time(stamp: str | None) -> str | None:
    """A snapshot timestamp (ISO 8601, UTC) in OONI's form, ``2006-01-02 15:04:05`` (UTC)."""
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def measurement(observation: dict[str, Any], snapshot: Snapshot) -> dict[str, Any]:
    """One observation of ``snapshot`` as an OONI measurement."""
    tool = snapshot.manifest.get("tool") or {}
    evidence = f"{snapshot.folder.name}/{EVIDENCE}" if observation.get("evidence") else None
    elapsed = observation.get("elapsed_ms")
    return {
        "annotations": {
            "censorprobe_key": str(observation.get("key")),
            "censorprobe_platform": str(observation.get("platform")),
            "censorprobe_role": str(observation.get("role")),
            "censorprobe_vantage": str(observation.get("vantage")),
        },
        "data_format_version": DATA_FORMAT_VERSION,
        "extensions": {},
        "input": observation.get("query"),
        "measurement_start_time": _ooni_time(observation.get("started_at")),
        "options": [],
        **UNKNOWN,
        "report_id": snapshot.run_id,
        "software_name": str(tool.get("name", "")),
        "software_version": str(tool.get("version", "")),
        "test_helpers": {},
        "test_keys": {**observation, "evidence_file": evidence},
        "test_name": observation.get("platform"),
        "test_runtime": None if elapsed is None else elapsed / 1000,
        "test_start_time": _ooni_time(snapshot.started_at),
        "test_version": observation.get("adapter_version"),
    }


def export_ooni(
    snapshots: Sequence[Snapshot],
    out: Path,
    on_corrupt: Callable[[CorruptLine], None] | None = None,
) -> int:
    """Write every observation of ``snapshots`` to ``out`` as OONI JSONL; return the lines.

    A corrupt observation line goes to ``on_corrupt`` (raised without one), as in
    :func:`snapshots.format.iter_jsonl`.
    """
    written = 0
    with out.open("w", encoding="utf-8", newline="\n") as stream:
        for snapshot in snapshots:
            for observation in iter_observations(snapshot.folder, on_corrupt):
                line = json.dumps(measurement(observation, snapshot), ensure_ascii=False)
                stream.write(line + "\n")
                written += 1
    return written
