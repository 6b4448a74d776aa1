"""How runs look on a terminal (rich progress, summary table) and in logs (plain lines)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from runners.execution.health import MAX_ERROR_SHARE
from runners.execution.progress import PlatformProgress, RunWatcher

__all__ = [
    "ERROR_SHARE_WARNING",
    "RunView",
    "console",
    "print_summary",
    "progress_line",
    "warn_corrupt_lines",
    "warn_skipped",
    "watch_run",
]

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)
ERROR_SHARE_WARNING = MAX_ERROR_SHARE
_PLAIN_EVERY_SECONDS = 10.0


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "ETA -"
    minutes, rest = divmod(int(seconds + 0.5), 60)
    hours, minutes = divmod(minutes, 60)
    return f"ETA {hours}:{minutes:02d}:{rest:02d}" if hours else f"ETA {minutes}:{rest:02d}"


def progress_line(platform: str, counts: PlatformProgress) -> str:
    """``weibo: sent 40 · answered 38 · committed 25/55 · ETA 1:20`` (committed lags: a probe
    is written once the control check after it has answered)."""
    return (
        f"{platform}: sent {counts.sent} · answered {counts.answered} · "
        f"committed {counts.committed}/{counts.total} · {_eta(counts.eta_seconds())}"
    )


class RunView(RunWatcher):
    """A run as it goes: one line per platform, as a live bar on a terminal, else a plain
    line per platform every ten seconds (logs of cron, systemd, CI)."""

    def __init__(self, label: str, progress: Progress | None) -> None:
        super().__init__()
        self.label = label
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}
        self.last_line = time.monotonic()

    def begin(self, platform: str, total: int, rate: float) -> None:
        super().begin(platform, total, rate)
        if self.progress is not None:
            self.tasks[platform] = self.progress.add_task(platform, total=total, line="")
            self._draw(platform)

    def sent(self, platform: str) -> None:
        super().sent(platform)
        self._draw(platform)

    def answered(self, platform: str) -> None:
        super().answered(platform)
        self._draw(platform)

    def committed(self, observation: dict[str, Any]) -> None:
        super().committed(observation)
        self._draw(str(observation.get("platform")))

    def stopping(self) -> None:
        """Ctrl-C or SIGTERM arrived: say what happens now."""
        message = (
            "stopping: probes in flight finish their current attempt and are written once "
            "answered; Ctrl-C again stops at once (resume asks the rest)"
        )
        if self.progress is not None:
            self.progress.console.print(f"[yellow]{message}[/yellow]")
        else:
            print(f"{self.label}: {message}", flush=True)

    def _draw(self, platform: str) -> None:
        counts = self.platforms.get(platform)
        if counts is None:
            return
        if self.progress is not None:
            self.progress.update(
                self.tasks[platform],
                completed=counts.answered,
                line=progress_line(platform, counts).partition(": ")[2],
            )
            return
        now = time.monotonic()
        done = all(c.committed >= c.total for c in self.platforms.values())
        if now - self.last_line >= _PLAIN_EVERY_SECONDS or done:
            self.last_line = now
            for name, each in self.platforms.items():
                print(f"{self.label}: {progress_line(name, each)}", flush=True)


@contextmanager
def watch_run(label: str) -> Iterator[RunView]:
    """A :class:`RunView` for the run; the caller tells it each platform's total (``begin``)."""
    if not sys.stdout.isatty():
        yield RunView(label, None)
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[line]}"),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        yield RunView(label, progress)


def warn_corrupt_lines(files: Sequence[Path]) -> None:
    """Name every corrupt observation line the readers skip (never hide one)."""
    from snapshots.duck import corrupt_lines

    for error in corrupt_lines(files):
        warn_skipped(error)


def warn_skipped(error: Exception) -> None:
    err_console.print(f"warning: skipped {error}", markup=False, highlight=False, soft_wrap=True)


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
