"""How runs look on a terminal (rich progress, summary table) and in logs (plain lines)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from runners.execution.health import MAX_ERROR_SHARE

__all__ = ["console", "progress_hook", "print_summary", "ERROR_SHARE_WARNING"]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
ERROR_SHARE_WARNING = MAX_ERROR_SHARE
_PLAIN_EVERY_SECONDS = 10.0


@contextmanager
def progress_hook(total: int, label: str) -> Iterator[Any]:
    """A callback that counts probe observations: a progress bar on a terminal, lines otherwise."""
    if sys.stdout.isatty():
        with Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        ) as progress:
            task = progress.add_task(label, total=total)

            def advance(observation: dict[str, Any]) -> None:
                if observation.get("role") != "control":
                    progress.advance(task)

            yield advance
        return
    state = {"done": 0, "last": time.monotonic()}

    def log_line(observation: dict[str, Any]) -> None:
        if observation.get("role") == "control":
            return
        state["done"] += 1
        now = time.monotonic()
        if now - state["last"] >= _PLAIN_EVERY_SECONDS or state["done"] == total:
            state["last"] = now
            print(f"{label}: {state['done']}/{total} probes", flush=True)

    yield log_line


def _by(counter: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in sorted(counter.items())) or "-"


def print_summary(run_id: str, status: str, counts: dict[str, Any]) -> None:
    """Censorship by signal apart from errors by kind; warn where errors pass 5 %."""
    table = Table(title=f"run {run_id} — {status}")
    for column in ("platform", "probes", "visible", "censored", "by signal", "errors", "by kind"):
        table.add_column(
            column,
            justify="right" if column in {"probes", "visible", "censored", "errors"} else "left",
        )
    warnings = []
    for platform, row in counts.items():
        censored = sum(row["censored"].values())
        errors = sum(row["error"].values())
        table.add_row(
            platform,
            str(row["probes"]),
            str(row["visible"]),
            str(censored),
            _by(row["censored"]),
            str(errors),
            _by(row["error"]),
        )
        if row["probes"] and errors / row["probes"] > ERROR_SHARE_WARNING:
            warnings.append(
                f"warning: {platform}: {errors} of {row['probes']} probes are errors "
                f"({errors / row['probes']:.0%}); their terms tell nothing about censorship"
            )
    console.print(table)
    for warning in warnings:
        console.print(f"[yellow]{warning}[/yellow]", soft_wrap=True)
