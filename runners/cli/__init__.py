"""The command line: the only layer that imports typer and rich.

Each command lives in its own module, and a module is imported only when its command runs:
``censorprobe diff --help`` does not load the HTTP stack, the testbed or pypinyin. ``app``
(the whole command line, for ``censorprobe --help`` and the tests) is built on first use.
"""

from __future__ import annotations

import importlib
import sys
from typing import Annotated, Any

import typer

from runners.cli.help_style import PlainHelpGroup
from snapshots.format import TOOL

__all__ = ["COMMANDS", "GROUPS", "app", "build_app", "main"]

#: Command -> (module, function), in the order ``--help`` lists them.
COMMANDS: dict[str, tuple[str, str]] = {
    "run": ("runners.cli.run", "run_command"),
    "demo": ("runners.cli.demo", "demo_command"),
    "testbed": ("runners.cli.serve", "testbed_command"),
    "isolate": ("runners.cli.isolate", "isolate_command"),
    "diff": ("runners.cli.results", "diff_command"),
    "timeline": ("runners.cli.results", "timeline_command"),
    "export": ("runners.cli.export", "export_command"),
    "report": ("runners.cli.results", "report_command"),
    "dispatch": ("runners.cli.distributed", "dispatch_command"),
    "worker": ("runners.cli.distributed", "worker_command"),
    "run-profile": ("runners.cli.schedule", "run_profile_command"),
    "schedule": ("runners.cli.schedule", "schedule_command"),
    "daemon": ("runners.cli.schedule", "daemon_command"),
    "merge": ("runners.cli.schedule", "merge_command"),
}
#: Command group -> the modules that define its commands (the first holds its ``app``).
GROUPS: dict[str, tuple[str, ...]] = {
    "keywords": ("runners.cli.keywords", "runners.cli.keyword_import"),
    "adapters": ("runners.cli.adapters",),
    "evidence": ("runners.cli.evidence",),
}


def _print_version(wanted: bool) -> None:
    if wanted:
        typer.echo(f"censorprobe {TOOL['version']}")
        raise typer.Exit()


def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Keyword censorship probes: which platforms hide which terms, how, from where, since when."""


def build_app(only: str | None = None) -> typer.Typer:
    """The command line with every command, or with only the command (or group) ``only``."""
    built = typer.Typer(
        name="censorprobe",
        cls=PlainHelpGroup,
        help="Keyword censorship probes: which platforms hide which terms, how, from where, "
        "since when.",
        no_args_is_help=True,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    built.callback()(_options)
    for name, (module, function) in COMMANDS.items():
        if only in (None, name):
            built.command(name)(getattr(importlib.import_module(module), function))
    for name, modules in GROUPS.items():
        if only in (None, name):
            group = [importlib.import_module(module) for module in modules][0]
            built.add_typer(group.app, name=name)
    return built


def __getattr__(name: str) -> Any:
    if name == "app":
        whole = build_app()
        globals()["app"] = whole
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """The entry point: import only the command asked for (all of them for ``--help``)."""
    words = [word for word in sys.argv[1:] if not word.startswith("-")]
    wanted = words[0] if words and (words[0] in COMMANDS or words[0] in GROUPS) else None
    build_app(wanted)()
