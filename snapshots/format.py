"""The snapshot format, defined once: file names, schema ids, the observation's fields and
their types, the key, the encoding of a line and the rule for a torn one.

The writer (:mod:`snapshots.writer`), the runner that builds observations and every reader
(store, DuckDB layer, diff, timeline, export, report, merge) take these definitions from
here, so a field renamed on one side fails on the other instead of reading back as nulls.
The human description of the same format is ``results/README.md``.

Nothing here imports the runner or the HTTP stack.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "BATCHES",
    "EVIDENCE",
    "ISOLATIONS",
    "KEY_SEPARATOR",
    "MANIFEST",
    "MANIFEST_SCHEMA",
    "OBSERVATIONS",
    "OBSERVATION_FIELDS",
    "SCHEMA",
    "TOOL",
    "CorruptLine",
    "Key",
    "SnapshotError",
    "check_observation",
    "encode_line",
    "iter_jsonl",
    "iter_observations",
    "read_manifest",
    "run_dir",
    "utc_now",
    "write_json_atomic",
]

#: The tool that writes snapshots, as every manifest names it; the version is the installed
#: package's (pyproject.toml), so it is written down once.
TOOL = {"name": "censorprobe", "version": metadata.version("censorprobe")}

SCHEMA = "censorprobe.observation/1"
MANIFEST_SCHEMA = "censorprobe.manifest/1"

MANIFEST = "manifest.json"
OBSERVATIONS = "observations.jsonl"
EVIDENCE = "evidence.warc.gz"
#: Written by ``run --isolate`` (runners.isolation.driver): one record per isolated key.
ISOLATIONS = "isolations.jsonl"
#: Written by distributed runs: which batches a coordinator sent.
BATCHES = "batches.jsonl"

_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")

#: Every field an observation line may carry, as the DuckDB type readers read it with.
#: ``items`` is kept in the file for people and the report's evidence view; the tabular
#: readers do not need it, so it has no column type.
OBSERVATION_FIELDS: dict[str, str] = {
    "schema": "VARCHAR",
    "run_id": "VARCHAR",
    "key": "VARCHAR",
    "role": "VARCHAR",
    "check": "INTEGER",
    "term": (
        "STRUCT(id VARCHAR, text VARCHAR, parts VARCHAR[], list VARCHAR, category VARCHAR,"
        " variant VARCHAR, tags VARCHAR[], note VARCHAR)"
    ),
    "query": "VARCHAR",
    "platform": "VARCHAR",
    "adapter_version": "VARCHAR",
    "vantage": "VARCHAR",
    "started_at": "TIMESTAMP",
    "elapsed_ms": "BIGINT",
    "attempts": "INTEGER",
    "request": "STRUCT(method VARCHAR, url VARCHAR, status INTEGER)",
    "verdict": "VARCHAR",
    "signal": "VARCHAR",
    #: On a censored observation: ``confirmed`` (a notice, or a passed confirmation) or
    #: ``suspected`` (a silent signal nobody confirmed); null otherwise.
    "confidence": "VARCHAR",
    #: On an observation whose first answer was a silent signal: the confirmation probes,
    #: ``{"result": "confirmed" | "cleared" | "unconfirmed", "reason": str,
    #: "probes": [{"role": "reask" | "truism" | "truism_control", "key", "query", "verdict",
    #: "signal", "result_count", "error", "attempts", "evidence"}]}`` (results/README.md).
    "confirmation": "JSON",
    "error": "STRUCT(kind VARCHAR, detail VARCHAR)",
    "result_count": "BIGINT",
    "items": "JSON",
    "notice": "VARCHAR",
    "fingerprint": "VARCHAR",
    "controls": "STRUCT(opening INTEGER, closing INTEGER)",
    "evidence": 'STRUCT(sha256 VARCHAR, "offset" BIGINT, length BIGINT)',
}
#: Fields every observation has; the rest appear only on some (``check`` on controls,
#: ``controls`` on probes, ``confirmation`` after a silent signal, ``confidence`` in snapshots
#: written before verdicts carried one).
_REQUIRED = frozenset(OBSERVATION_FIELDS) - {"check", "controls", "confidence", "confirmation"}


class SnapshotError(RuntimeError):
    """A snapshot that cannot be written or read; the message names the file (and line)."""


class CorruptLine(SnapshotError):
    """A complete line of a JSONL file that is not a JSON object."""


def check_observation(observation: Mapping[str, Any]) -> None:
    """Raise :class:`SnapshotError` unless ``observation`` has exactly the format's fields."""
    fields = observation.keys()
    unknown = fields - OBSERVATION_FIELDS.keys()
    missing = _REQUIRED - fields
    if unknown or missing:
        raise SnapshotError(
            f"observation {observation.get('key')!r} does not match {SCHEMA}: "
            f"unknown fields {sorted(unknown)}, missing fields {sorted(missing)}"
        )


class Key(NamedTuple):
    """What a probe measured, as ``list/term/variant/platform/vantage`` (its identity)."""

    list: str
    term: str
    variant: str
    platform: str
    vantage: str

    def __str__(self) -> str:
        return KEY_SEPARATOR.join(self)

    @classmethod
    def parse(cls, key: str) -> Key | None:
        """The parts of a key; None for one that is not in this format."""
        parts = key.split(KEY_SEPARATOR)
        return cls(*parts) if len(parts) == len(cls._fields) else None

    @staticmethod
    def sql_without_vantage(column: str = "key") -> str:
        """A DuckDB expression: the key of ``column`` without its vantage part."""
        return Key.sql_without("vantage", column=column)

    @classmethod
    def sql_without(cls, *parts: str, column: str = "key") -> str:
        """A DuckDB expression: the key of ``column`` without ``parts`` (the rest joined as in
        a key), e.g. ``list/term/variant/vantage`` without ``platform``."""
        unknown = set(parts) - set(cls._fields)
        if unknown:
            raise ValueError(f"a key has no part {sorted(unknown)}; its parts: {cls._fields}")
        kept = [
            f"split_part({column}, '{KEY_SEPARATOR}', {number})"
            for number, name in enumerate(cls._fields, start=1)
            if name not in parts
        ]
        return f" || '{KEY_SEPARATOR}' || ".join(kept)


KEY_SEPARATOR = "/"


def utc_now() -> str:
    """The timestamp format of every snapshot file: UTC, milliseconds, ``Z``."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def run_dir(results: Path, run_id: str) -> Path:
    """The folder of a run, refusing ids that could leave the results folder."""
    if not _RUN_ID.match(run_id) or run_id in {".", ".."}:
        raise SnapshotError(f"run id {run_id!r} may hold only letters, digits, '.', '_' and '-'")
    folder = (results / run_id).resolve()
    if folder.parent != results.resolve():
        raise SnapshotError(f"run id {run_id!r} leaves the results folder")
    return folder


def encode_line(record: Mapping[str, Any]) -> bytes:
    """One JSONL line: compact, UTF-8, newline-terminated (the newline marks it complete)."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")


def iter_jsonl(
    path: Path, on_corrupt: Callable[[CorruptLine], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of a JSONL snapshot file, by the torn-line rule.

    A last line without its newline is a write a kill cut short: it is skipped silently (and
    cut off by a resumed writer). Any other line that is not a JSON object is corruption: it
    is passed to ``on_corrupt`` (which may warn and let reading go on) or, without one, raised
    as :class:`CorruptLine` naming the file and line.
    """
    if not path.exists():
        return
    with path.open("rb") as stream:
        for number, raw in enumerate(stream, start=1):
            if not raw.endswith(b"\n"):
                return
            if not raw.strip():
                continue
            try:
                record = json.loads(raw)
            except ValueError as exc:
                record, problem = None, f"not JSON ({exc})"
            else:
                problem = "" if isinstance(record, dict) else "not a JSON object"
            if problem:
                error = CorruptLine(f"{path}:{number}: {problem}")
                if on_corrupt is None:
                    raise error
                on_corrupt(error)
                continue
            assert isinstance(record, dict)
            yield record


def iter_observations(
    folder: Path, on_corrupt: Callable[[CorruptLine], None] | None = None
) -> Iterator[dict[str, Any]]:
    """Every observation of a snapshot folder, by the torn-line rule of :func:`iter_jsonl`."""
    return iter_jsonl(folder / OBSERVATIONS, on_corrupt)


def read_manifest(folder: Path) -> dict[str, Any]:
    """A snapshot's manifest; :class:`SnapshotError` naming the file when it is missing or bad."""
    path = folder / MANIFEST
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SnapshotError(f"{folder}: no {MANIFEST}: not a censorprobe snapshot") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"{path}: not a readable manifest ({exc})") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"{path}: not a readable manifest (not a JSON object)")
    return data


def write_json_atomic(path: Path, data: Mapping[str, Any]) -> None:
    """Replace ``path`` with ``data`` at once: a reader sees the old file or the new, never half."""
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)
