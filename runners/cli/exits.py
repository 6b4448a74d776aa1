"""How every command ends: the exit codes and the one way to fail with a message.

Exit codes of ``run``, ``run-profile`` and ``dispatch``, which unattended runs (cron, systemd,
CI) can trust (README, "Exit codes"):

- 0: complete, and it measured something: no platform aborted, errors within
  ``--max-error-share`` of the probes on every platform;
- 1: nothing was run: bad lists, settings, profile or snapshot (locked by another writer);
- 2: the command line itself is wrong (typer's usage error);
- 3: it measured nothing useful: a platform's first control check got no answer (so it was
  not probed), or every probe is an error, or errors passed ``--max-error-share``;
- 4: the snapshot could not be written (a full disk): the run stopped at once; resume it
  once there is room;
- 130: interrupted (Ctrl-C, SIGTERM); ``--resume`` finishes it.

``diff --fail-on-change`` exits 3 (:data:`EXIT_CHANGED`) when censorship changed between
confirmed verdicts, for alerts.
"""

from __future__ import annotations

import typer
from rich.markup import escape

from runners.cli.display import err_console

__all__ = [
    "EXIT_CHANGED",
    "EXIT_INTERRUPTED",
    "EXIT_INVALID",
    "EXIT_NOTHING_USEFUL",
    "EXIT_NOT_WRITTEN",
    "fail",
]

EXIT_INVALID = 1
EXIT_NOTHING_USEFUL = 3
EXIT_NOT_WRITTEN = 4
EXIT_INTERRUPTED = 130
EXIT_CHANGED = 3


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    """Print ``error: message`` (escaped: it may quote a platform or a file) and exit ``code``."""
    err_console.print(
        f"[red]error:[/red] {escape(message)}", markup=True, highlight=False, soft_wrap=True
    )
    return typer.Exit(code)
