"""The command line: the only layer that imports typer and rich."""

from __future__ import annotations

import typer

from . import (
    keyword_import,  # noqa: F401
    keywords,
)
from .demo import demo_command
from .evidence import evidence_command
from .run import run_command
from .serve import testbed_command

__all__ = ["app", "main"]

app = typer.Typer(
    name="censorprobe",
    help="Keyword censorship probes: which platforms hide which terms, how, from where, since when.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.command("run")(run_command)
app.command("demo")(demo_command)
app.command("testbed")(testbed_command)
app.command("evidence")(evidence_command)
app.add_typer(keywords.app, name="keywords")


def main() -> None:
    app()
