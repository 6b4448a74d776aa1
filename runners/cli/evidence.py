"""``censorprobe evidence``: the raw exchange behind an observation, or a run's evidence as a WACZ.

``evidence RUN KEY`` (short for ``evidence show RUN KEY``) prints the request and response of a
probe, a control (``--check N`` picks one of its checks) or a confirmation probe
(``KEY#reask``, ``KEY#truism``, ``KEY#truism_control``). ``evidence pack RUN -o run.wacz``
writes the run's pages as a WACZ for ReplayWeb.page or pywb (:mod:`snapshots.wacz`).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from runners.cli.display import console
from runners.cli.exits import fail
from runners.cli.options import ResultsFolder
from snapshots.evidence import read_exchange
from snapshots.format import EVIDENCE, MANIFEST, SnapshotError, iter_observations, run_dir
from snapshots.store import ALIASES, Snapshot, resolve_snapshot
from snapshots.wacz import pack_wacz

__all__ = ["app"]

_CONFIRMATION = "#"
#: Terminal control characters (but tab and newline) a hostile page could use to rewrite the
#: screen; printed escaped.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class _ShowByDefault(TyperGroup):
    """``evidence RUN KEY`` is ``evidence show RUN KEY``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:  # a click Context
        if args and args[0] not in self.commands and args[0] not in ctx.help_option_names:
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(
    cls=_ShowByDefault,
    no_args_is_help=True,
    help="The raw exchange behind an observation (`evidence RUN KEY`), or a run's evidence "
    "as a WACZ (`evidence pack RUN -o run.wacz`).",
)


def _printable(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _open_run(name: str, results: Path) -> Snapshot:
    """The run named by alias, folder path or run id; "no such run" when there is none."""
    try:
        named = name in ALIASES or (Path(name) / MANIFEST).is_file()
        if not named and not (run_dir(results, name) / MANIFEST).is_file():
            raise fail(f"no such run {name!r} under {results}")
        return resolve_snapshot(name, results)
    except SnapshotError as exc:
        raise fail(str(exc)) from None


def _find(folder: Path, key: str, check: int | None) -> tuple[dict[str, Any], str]:
    """The observation (or confirmation probe) recorded as ``key``, and how to describe it."""
    wanted, _, step = key.partition(_CONFIRMATION)
    found = [o for o in iter_observations(folder) if o.get("key") == wanted]
    if not found:
        raise fail(f"no observation with key {wanted!r} in run {folder.name}")
    if found[0].get("role") == "control":
        checks = [o.get("check") for o in found]
        if check is not None and check not in checks:
            raise fail(f"{wanted}: a control with checks {checks}; no check {check}")
        chosen = (
            next(o for o in found if o.get("check") == check) if check is not None else found[-1]
        )
        others = f" (checks {', '.join(map(str, checks))}: pick one with --check)"
        described = f"control, check {chosen.get('check')}" + (others if len(found) > 1 else "")
    else:
        chosen, described = found[-1], "probe"
    if not step:
        return chosen, described
    steps = (chosen.get("confirmation") or {}).get("probes") or []
    confirming = [p for p in steps if p.get("role") == step]
    if not confirming:
        roles = ", ".join(sorted({str(p.get("role")) for p in steps})) or "none"
        raise fail(f"{wanted}: no confirmation probe {step!r} (this one has: {roles})")
    return confirming[-1], f"confirmation probe {step}"


@app.command("show")
def show_command(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Run id, `latest` or a folder.")],
    key: Annotated[
        str,
        typer.Argument(
            metavar="KEY",
            help="Observation key: list/term/variant/platform/vantage (a control's too; "
            "KEY#reask, KEY#truism or KEY#truism_control for a confirmation probe).",
        ),
    ],
    body: Annotated[bool, typer.Option("--body", help="Print the response body too.")] = False,
    check: Annotated[
        int | None,
        typer.Option(metavar="N", help="For a control: the check to show (default: the last)."),
    ] = None,
    results: ResultsFolder = Path("results"),
) -> None:
    """Print the request and response recorded for KEY in RUN (secrets were redacted)."""
    snapshot = _open_run(run_id, results)
    try:
        observation, described = _find(snapshot.folder, key, check)
    except SnapshotError as exc:
        raise fail(str(exc)) from None
    reference = observation.get("evidence")
    if not reference:
        raise fail(f"{key}: no evidence (the probe got no response, or the run used --no-evidence)")
    warc = snapshot.folder / EVIDENCE
    try:
        stored = read_exchange(warc, reference["offset"])
    except SnapshotError as exc:
        raise fail(str(exc)) from None
    error = observation.get("error") or {}
    kind = error.get("kind", "") if isinstance(error, dict) else str(error)
    print(_printable(f"# {stored.key}  {stored.date}  {stored.target}"))
    print(
        _printable(
            f"# {described}: verdict {observation.get('verdict')} "
            f"{observation.get('signal') or ''}{kind}  sha256 {reference.get('sha256')}"
        )
    )
    print(_printable(stored.request_head.rstrip()))
    print()
    print(_printable(stored.response_head.rstrip()))
    if body:
        print()
        print(_printable(stored.body.decode("utf-8", errors="replace")))


@app.command("pack")
def pack_command(
    run_id: Annotated[str, typer.Argument(metavar="RUN", help="Run id, `latest` or a folder.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", metavar="FILE", help="The WACZ to write (default: RUN.wacz)."),
    ] = None,
    results: ResultsFolder = Path("results"),
) -> None:
    """Pack RUN's evidence as a WACZ (WARC + CDXJ index + pages + datapackage.json)."""
    snapshot = _open_run(run_id, results)
    target = out or Path(f"{snapshot.run_id}.wacz")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        packed = pack_wacz(snapshot, target)
    except SnapshotError as exc:
        raise fail(str(exc)) from None
    console.print(
        f"wrote {packed.path}: {packed.responses} responses, {packed.pages} pages",
        markup=False,
        highlight=False,
        soft_wrap=True,
    )
