"""``censorprobe adapters``: list the platform adapters, or scaffold a new one."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from probes import Adapter, Query, adapters
from probes.scaffold import ScaffoldError, scaffold
from runners.cli.display import console
from runners.cli.exits import fail

__all__ = ["app", "list_adapters"]

app = typer.Typer(help="List the platform adapters, or start a new one.")


@app.callback(invoke_without_command=True)
def _adapters_default(context: typer.Context) -> None:
    """List the platform adapters, or start a new one (`adapters new NAME`)."""
    if context.invoked_subcommand is None:
        list_adapters()


def _endpoint(cls: type[Adapter]) -> str:
    """Method and URL without the query string (the query itself goes there)."""
    request = cls(env={}).request(Query("TERM"))
    url = str(request.url.copy_with(query=None))
    return url if request.method == "GET" else f"{request.method} {url}"


def _pacing(cls: type[Adapter]) -> str:
    rate, burst = cls.pacing.rate, cls.pacing.burst
    if rate <= 0:
        return "unpaced"
    pace = f"{rate:g}/s" if rate >= 1 else f"1 per {1 / rate:.3g} s"
    return pace if burst <= 1 else f"{pace}, burst {burst}"


def list_adapters() -> None:
    """Print every registered adapter: name, version, endpoint, pacing, environment it needs."""
    table = Table(title="Adapters", show_lines=False)
    table.add_column("name", no_wrap=True)
    table.add_column("version", no_wrap=True)
    table.add_column("endpoint", overflow="fold")
    table.add_column("pacing", no_wrap=True)
    table.add_column("needs", overflow="fold")
    for name, cls in sorted(adapters().items()):
        needs = ", ".join(cls.env_vars) or "—"
        table.add_row(name, cls.version, _endpoint(cls), _pacing(cls), needs)
    console.print(table)


@app.command("list")
def list_command() -> None:
    """List the adapters: built-in ones and those installed through entry points."""
    list_adapters()


@app.command("new")
def new_command(
    name: Annotated[
        str, typer.Argument(help="The new adapter's name, e.g. `sogou` (a module name).")
    ],
    root: Annotated[
        Path,
        typer.Option(help="censorprobe checkout to write into.", show_default="current folder"),
    ] = Path(),
) -> None:
    """Scaffold an adapter NAME: module, fingerprint file, starter fixtures and cases."""
    if not (root / "probes" / "platforms").is_dir():
        raise fail(
            f"{root.resolve()} is not a censorprobe checkout (no probes/platforms/ folder); "
            "see --root"
        )
    try:
        made = scaffold(name, root, taken=adapters())
    except ScaffoldError as exc:
        raise fail(str(exc)) from None
    for path in made.files:
        console.print(f"wrote {path}")
    console.print(
        f"Next: `pytest --censorprobe-adapter {name}` runs the contract kit over it; point "
        f"{made.class_name} at the real endpoint, record pages into {made.fixtures}, and "
        "follow docs/add-a-platform.md."
    )
