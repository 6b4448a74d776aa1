"""``censorprobe evidence``: print the raw exchange behind an observation."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from runners.cli.run import fail
from snapshots.evidence import read_exchange
from snapshots.format import EVIDENCE, SnapshotError, iter_observations, run_dir


def evidence_command(
    run_id: Annotated[str, typer.Argument(help="Run id (a folder under --results).")],
    key: Annotated[
        str, typer.Argument(help="Observation key: list/term/variant/platform/vantage.")
    ],
    body: Annotated[bool, typer.Option("--body", help="Print the response body too.")] = False,
    results: Annotated[Path, typer.Option(help="Results folder.")] = Path("results"),
) -> None:
    """Print the request and response recorded for KEY in RUN_ID (secrets were redacted)."""
    try:
        folder = run_dir(results, run_id)
        found = [
            o for o in iter_observations(folder) if o["key"] == key and o.get("role") != "control"
        ]
    except SnapshotError as exc:
        raise fail(str(exc)) from None
    if not found:
        raise fail(f"no observation with key {key!r} in run {run_id}")
    observation = found[-1]
    reference = observation.get("evidence")
    if not reference:
        raise fail(f"{key}: no evidence (the probe got no response, or the run used --no-evidence)")
    stored = read_exchange(folder / EVIDENCE, reference["offset"])
    print(f"# {stored.key}  {stored.date}  {stored.target}")
    print(
        f"# verdict {observation['verdict']} {observation.get('signal') or ''}"
        f"{(observation.get('error') or {}).get('kind', '')}  sha256 {reference['sha256']}"
    )
    print(stored.request_head.rstrip())
    print()
    print(stored.response_head.rstrip())
    if body:
        print()
        print(stored.body.decode("utf-8", errors="replace"))
