"""``censorprobe keywords``: check and show keyword lists."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from probes.registry import UnknownAdapterError, get_adapter
from runners.cli.display import console
from runners.cli.exits import fail
from runners.keywords.lists import KeywordListsInvalid, load_lists, printable
from runners.keywords.variants import expand
from runners.plan.planner import check_query_lengths

app = typer.Typer(help="Check, show and import keyword lists.", no_args_is_help=True)


@app.command("check")
def check(
    paths: Annotated[list[Path], typer.Argument(help="Keyword list files.")],
    platforms: Annotated[
        list[str] | None,
        typer.Option(
            "--platform", "-p", help="Also check the queries fit these platforms (repeatable)."
        ),
    ] = None,
) -> None:
    """Validate lists: exit 0 when all are valid, 1 with every problem (file:line: field) otherwise."""
    try:
        adapters = [get_adapter(name)() for name in platforms or ()]
    except UnknownAdapterError as exc:
        raise fail(str(exc)) from None
    try:
        loaded = load_lists(paths)
        check_query_lengths(loaded, adapters)
    except KeywordListsInvalid as exc:
        raise fail(f"{len(exc.errors)} problem(s):\n{exc}") from None
    for item in loaded:
        content = item.content
        controls = f"{len(content.controls)} controls" if content.controls else "no controls"
        console.print(
            printable(f"ok {item.path}: list {content.id}, {len(content.terms)} terms, {controls}"),
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    if not any(item.content.controls for item in loaded):
        console.print(
            "warning: no list here has controls, so a run of these lists alone is refused: add a "
            "`controls:` section (benign terms that must stay visible; see keywords/README.md)",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


@app.command("show")
def show(
    path: Annotated[Path, typer.Argument(help="A keyword list file.")],
    variants: Annotated[
        bool, typer.Option("--variants", help="Also show every generated variant.")
    ] = False,
) -> None:
    """Print a list's terms as a table."""
    try:
        (item,) = load_lists([path])
    except KeywordListsInvalid as exc:
        raise fail(str(exc)) from None
    content = item.content
    table = Table(title=Text(printable(f"{content.id} — {content.description}")))
    for column in ("id", "query", "category", "variant" if variants else "variants", "note"):
        table.add_column(column)

    def row(*cells: str) -> None:
        table.add_row(*(Text(printable(cell)) for cell in cells))

    for term in content.terms:
        names = term.variants or content.variants
        if variants:
            for name, parts in expand(term.parts, names):
                row(term.id, " + ".join(parts), term.category, name, term.note or "")
        else:
            row(term.id, " + ".join(term.parts), term.category, ", ".join(names), term.note or "")
    for control in content.controls:
        row(control.id, control.text, "control", "", control.note or "")
    console.print(table)
