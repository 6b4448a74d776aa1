"""``censorprobe run-profile``, ``schedule``, ``daemon`` and ``merge``: runs on a cadence."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from runners.cli.options import RunResultsFolder
from runners.cli.run import (
    EXIT_INTERRUPTED,
    MAX_ERROR_SHARE,
    SETUP_ERRORS,
    MaxErrorShare,
    conclude,
    fail,
    setup_failure,
)
from runners.execution.runner import RunResult
from runners.scheduling.daemon import Daemon, configure_log
from runners.scheduling.profiles import (
    Profile,
    ProfileInvalid,
    load_profile,
    run_profile_async,
)
from runners.scheduling.schedule import ScheduleError, crontab_line, github_workflow, systemd_units
from snapshots.format import SnapshotError

__all__ = ["daemon_command", "merge_command", "run_profile_command", "schedule_command"]


class Kind(StrEnum):
    systemd = "systemd"
    cron = "cron"
    github = "github"


def _load(path: Path) -> Profile:
    try:
        return load_profile(path)
    except ProfileInvalid as exc:
        raise fail(f"invalid profile; nothing was done:\n{exc}") from None


def run_profile_command(
    profile_path: Annotated[Path, typer.Argument(metavar="PROFILE", help="Run profile (YAML).")],
    max_error_share: MaxErrorShare = MAX_ERROR_SHARE,
) -> None:
    """Run a profile once: resume its interrupted run if any, then apply its retention.

    Exits as `censorprobe run` does (0 only when the run measured something useful)."""
    profile = _load(profile_path)

    async def main() -> RunResult:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()

        def on_signal() -> None:
            if stop.is_set() and current is not None:
                current.cancel()  # a second signal: stop now
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        return await run_profile_async(profile, stop=stop)

    try:
        result = asyncio.run(main())
    except asyncio.CancelledError:
        raise fail(
            "interrupted; the next run of the profile resumes it", EXIT_INTERRUPTED
        ) from None
    except SETUP_ERRORS as exc:
        raise setup_failure(exc) from None
    conclude(result, max_error_share, f"the next run of {profile.name} resumes it")


def _executable() -> str:
    found = shutil.which("censorprobe")
    if found:
        return os.path.abspath(found)
    candidate = Path(sys.executable).with_name("censorprobe")
    return str(candidate)


def schedule_command(
    profile_path: Annotated[Path, typer.Argument(metavar="PROFILE", help="Run profile (YAML).")],
    kind: Annotated[Kind, typer.Option(help="What to write.")] = Kind.systemd,
    out: Annotated[
        Path | None, typer.Option(help="Folder to write into (default: print to stdout).")
    ] = None,
) -> None:
    """Write ready-to-install schedule files that run `censorprobe run-profile PROFILE`."""
    profile = _load(profile_path)
    absolute = profile_path.resolve()
    try:
        files: dict[str, str]
        if kind is Kind.systemd:
            units = systemd_units(profile, absolute, _executable())
            files = {f"{units.name}.service": units.service, f"{units.name}.timer": units.timer}
        elif kind is Kind.cron:
            log = profile.output_dir / f"{profile.name}.log"
            files = {
                f"censorprobe-{profile.name}.crontab": crontab_line(
                    profile, absolute, _executable(), log
                )
            }
        else:
            relative = os.path.relpath(absolute, Path.cwd())
            files = {f"censorprobe-{profile.name}.yml": github_workflow(profile, relative)}
    except ScheduleError as exc:
        raise fail(str(exc)) from None
    for name, text in files.items():
        if out is None:
            print(f"# {name}\n{text}")
        else:
            out.mkdir(parents=True, exist_ok=True)
            (out / name).write_text(text, encoding="utf-8")
            print(f"wrote {out / name}")


def daemon_command(
    profiles: Annotated[list[Path], typer.Argument(metavar="PROFILE...", help="Run profiles.")],
    log: Annotated[Path | None, typer.Option(help="Log file (default: stderr).")] = None,
) -> None:
    """Run each profile on its cadence until SIGTERM/Ctrl-C; missed runs are caught up."""
    loaded = [_load(path) for path in profiles]
    configure_log(log)
    try:
        daemon = Daemon(loaded)
    except ValueError as exc:
        raise fail(str(exc)) from None
    done = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    daemon.start()
    while not done.wait(1.0):
        pass
    daemon.stop(wait=True)


def merge_command(
    snapshots: Annotated[list[Path], typer.Argument(metavar="SNAPSHOT...", help="Shard folders.")],
    out: RunResultsFolder,
    run_id: Annotated[str | None, typer.Option(help="Name the merged run.")] = None,
) -> None:
    """Merge shard snapshots of one plan into one snapshot."""
    from snapshots.merge import MergeError, merge_snapshots

    try:
        result = merge_snapshots(snapshots, out, run_id)
    except (MergeError, SnapshotError) as exc:
        raise fail(str(exc)) from None
    for conflict in result.conflicts:
        print(f"conflict: {conflict}", file=sys.stderr)
    print(
        f"merged {len(snapshots)} snapshots: {result.observations} observations, "
        f"{result.duplicates} duplicates dropped, {len(result.conflicts)} conflicts; "
        f"status {result.status}"
    )
    print(f"snapshot: {result.folder}")
