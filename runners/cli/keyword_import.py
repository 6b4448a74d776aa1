"""``censorprobe keywords import``: a published list as a keyword list file."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
import yaml

from runners.cli.display import console
from runners.cli.exits import fail
from runners.cli.keywords import app
from runners.keywords.importers import Format, ImportOptions, SourceError, import_file

__all__ = ["import_command"]


@app.command("import")
def import_command(
    fmt: Annotated[Format, typer.Argument(metavar="FORMAT", help="The source's format.")],
    source: Annotated[
        Path, typer.Argument(metavar="SOURCE", help="Your copy of the published file.")
    ],
    output: Annotated[Path, typer.Option("--output", "-o", help="Keyword list to write (YAML).")],
    list_id: Annotated[
        str | None, typer.Option("--list-id", help="List id (default: from the file name).")
    ] = None,
    category: Annotated[
        str | None, typer.Option("--category", help="Category of every term.")
    ] = None,
    licence: Annotated[
        str | None, typer.Option("--licence", help="The source's licence (Citizen Lab: known).")
    ] = None,
    source_url: Annotated[
        str | None, typer.Option("--source-url", help="Where the file was published.")
    ] = None,
    retrieved: Annotated[
        datetime | None,
        typer.Option(
            "--retrieved", formats=["%Y-%m-%d"], help="When you fetched it (default: today)."
        ),
    ] = None,
    language: Annotated[str, typer.Option("--language", help="The list's language.")] = "zh",
    controls: Annotated[
        bool, typer.Option("--controls/--no-controls", help="Add benign control terms.")
    ] = True,
) -> None:
    """Import a published list. FORMAT: citizenlab-rules (one rule a line, ` + ` joins parts,
    # comments skipped), citizenlab-people (CSV, header `Isolation` and optional `Sample`), cdt
    (China Digital Times CSV, header `keyword`, optional `first_seen` or `date`, other columns
    kept as the note) or lines (one term a line). Duplicates are merged; ids are the terms'
    pinyin and stay the same on re-import. See keywords/README.md."""
    options = ImportOptions(
        list_id=list_id,
        category=category,
        licence=licence,
        source_url=source_url,
        retrieved=retrieved.date() if retrieved else date.today(),
        language=language,
        controls=controls,
    )
    try:
        data, report = import_file(fmt, source, options)
    except OSError as exc:
        raise fail(f"cannot read {source}: {exc.strerror}") from None
    except ValueError as exc:  # SourceError names file and line
        prefix = "" if isinstance(exc, SourceError) else "invalid option: "
        raise fail(f"{prefix}{exc}") from None
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        with output.open("w", encoding="utf-8") as out:
            yaml.safe_dump(data, out, allow_unicode=True, sort_keys=False)
    except OSError as exc:
        raise fail(f"cannot write {output}: {exc.strerror}") from None
    for line in [*report.summary(), f"wrote {output}"]:
        console.print(line, soft_wrap=True, markup=False)
