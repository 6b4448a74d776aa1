"""A long-running scheduler: each profile run on its cadence, with anacron-like catch-up.

APScheduler owns the clock. Per profile, one run at a time (``max_instances=1``, missed
ticks coalesced). The time of the last run is kept in ``.censorprobe-daemon.json`` in the
profile's output folder, so a daemon started after a due time was missed (machine off,
daemon down) starts one run at once. :meth:`Daemon.stop` (SIGTERM in the CLI) sets the
runner's stop event: the current snapshot closes as ``interrupted``, and the next run of
that profile resumes it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from runners.execution.runner import RunResult
from runners.scheduling.profiles import Profile, run_profile_async

__all__ = ["STATE_FILE", "Daemon", "is_due", "read_state", "trigger_of"]

STATE_FILE = ".censorprobe-daemon.json"
log = logging.getLogger("censorprobe.daemon")


def trigger_of(profile: Profile, last_run: datetime | None = None) -> BaseTrigger:
    """The profile's trigger; an interval counts from the last run when there was one."""
    cadence = profile.schedule
    if cadence.cron is not None:
        return CronTrigger.from_crontab(cadence.cron, timezone=UTC)
    assert cadence.interval is not None
    return IntervalTrigger(seconds=cadence.interval, start_date=last_run, timezone=UTC)


def read_state(profile: Profile) -> dict[str, Any]:
    path = profile.output_dir / STATE_FILE
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return {}
    entry = data.get(profile.name, {})
    return entry if isinstance(entry, dict) else {}


def _write_state(profile: Profile, entry: dict[str, Any]) -> None:
    path = profile.output_dir / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        data = {}
    data[profile.name] = entry
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def is_due(profile: Profile, last_run: datetime | None, now: datetime) -> bool:
    """Whether a run fell due since ``last_run`` (never run: due at once)."""
    if last_run is None:
        return True
    cadence = profile.schedule
    if cadence.interval is not None:
        return last_run + timedelta(seconds=cadence.interval) <= now
    trigger = CronTrigger.from_crontab(cadence.cron or "", timezone=UTC)
    due = trigger.get_next_fire_time(None, last_run + timedelta(seconds=1))
    return due is not None and due <= now


class Daemon:
    """Schedules every profile; :meth:`start` returns at once, :meth:`stop` waits for runs."""

    def __init__(self, profiles: Sequence[Profile]) -> None:
        names = [profile.name for profile in profiles]
        if len(set(names)) != len(names):
            raise ValueError("two profiles share a name; each needs its own")
        self.profiles = list(profiles)
        self.scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(max(1, len(self.profiles)))},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._lock = threading.Lock()
        self._running: dict[str, tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}
        self._stopping = threading.Event()

    def start(self) -> None:
        now = datetime.now(UTC)
        for profile in self.profiles:
            last = read_state(profile).get("last_run")
            last_run = datetime.fromisoformat(last) if last else None
            catch_up = is_due(profile, last_run, now)
            # anacron-like: a missed (or never made) run starts now; the cadence follows.
            # (next_run_time=None would pause the job, so it is passed only for a catch-up.)
            extra: dict[str, Any] = {"next_run_time": now} if catch_up else {}
            self.scheduler.add_job(
                self._run, trigger_of(profile, last_run), args=[profile], id=profile.name, **extra
            )
            log.info(
                "profile %s scheduled (%s)%s",
                profile.name,
                profile.cadence,
                "; a run was missed, starting one now" if catch_up and last_run else "",
            )
        self.scheduler.start()

    def stop(self, wait: bool = True) -> None:
        """Stop scheduling and interrupt the runs in progress (they become resumable)."""
        self._stopping.set()
        with self._lock:
            for loop, event in self._running.values():
                loop.call_soon_threadsafe(event.set)
        self.scheduler.shutdown(wait=wait)
        log.info("daemon stopped")

    def _run(self, profile: Profile) -> None:
        if self._stopping.is_set():
            return
        started = datetime.now(UTC)
        try:
            result = asyncio.run(self._run_async(profile))
        except Exception:
            log.exception("profile %s: run failed", profile.name)
            _write_state(profile, {"last_run": started.isoformat(), "status": "failed"})
            return
        _write_state(
            profile,
            {"last_run": started.isoformat(), "run_id": result.run_id, "status": result.status},
        )
        seconds = (datetime.now(UTC) - started).total_seconds()
        level = logging.INFO if result.status == "complete" else logging.WARNING
        log.log(level, "profile %s: %s", profile.name, run_line(result, seconds))

    async def _run_async(self, profile: Profile) -> Any:
        stop = asyncio.Event()
        with self._lock:
            self._running[profile.name] = (asyncio.get_running_loop(), stop)
            if self._stopping.is_set():
                stop.set()
        try:
            return await run_profile_async(profile, stop=stop)
        finally:
            with self._lock:
                self._running.pop(profile.name, None)


def run_line(result: RunResult, seconds: float) -> str:
    """One log line about a finished run: its id, status and what it measured."""
    totals: Counter[str] = Counter()
    for counts in result.counts.values():
        totals["probes"] += counts.get("probes", 0)
        totals["visible"] += counts.get("visible", 0)
        totals["censored"] += sum(counts.get("censored", {}).values())
        totals["error"] += sum(counts.get("error", {}).values())
    return (
        f"run {result.run_id} {result.status} in {seconds:.0f}s: {totals['probes']} probes, "
        f"{totals['visible']} visible, {totals['censored']} censored, {totals['error']} errors"
    )


def configure_log(path: Path | None) -> None:
    """censorprobe's lines at INFO; the scheduler's own only when something is wrong."""
    handler: logging.Handler = (
        logging.FileHandler(path, encoding="utf-8") if path else logging.StreamHandler()
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name, level in (("censorprobe", logging.INFO), ("apscheduler", logging.WARNING)):
        logger = logging.getLogger(name)
        logger.addHandler(handler)
        logger.setLevel(level)
