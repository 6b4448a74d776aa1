"""The command line: the only layer that imports typer and rich."""

from __future__ import annotations

from typing import Annotated

import typer

from runners.cli import adapters, evidence, keywords
from runners.cli import keyword_import as _keyword_import  # noqa: F401 - registers `keywords import`
from runners.cli.demo import demo_command
from runners.cli.distributed import dispatch_command, worker_command
from runners.cli.export import export_command
from runners.cli.help_style import PlainHelpGroup
from runners.cli.isolate import isolate_command
from runners.cli.results import diff_command, report_command, timeline_command
from runners.cli.run import run_command
from runners.cli.schedule import (
    daemon_command,
    merge_command,
    run_profile_command,
    schedule_command,
)
from runners.cli.serve import testbed_command
from snapshots.format import TOOL

__all__ = ["app", "main"]

app = typer.Typer(
    name="censorprobe",
    cls=PlainHelpGroup,
    help="Keyword censorship probes: which platforms hide which terms, how, from where, since when.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"censorprobe {TOOL['version']}")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Keyword censorship probes: which platforms hide which terms, how, from where, since when."""


app.command("run")(run_command)
app.command("demo")(demo_command)
app.command("testbed")(testbed_command)
app.command("isolate")(isolate_command)
app.command("diff")(diff_command)
app.command("timeline")(timeline_command)
app.command("export")(export_command)
app.command("report")(report_command)
app.command("dispatch")(dispatch_command)
app.command("worker")(worker_command)
app.command("run-profile")(run_profile_command)
app.command("schedule")(schedule_command)
app.command("daemon")(daemon_command)
app.command("merge")(merge_command)
app.add_typer(keywords.app, name="keywords")
app.add_typer(adapters.app, name="adapters")
app.add_typer(evidence.app, name="evidence")


@adapters.app.callback(invoke_without_command=True)
def _adapters_default(context: typer.Context) -> None:
    """List the platform adapters, or start a new one (`adapters new NAME`)."""
    if context.invoked_subcommand is None:
        adapters.list_adapters()


def main() -> None:
    app()
