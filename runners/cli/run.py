"""``censorprobe run``: plan, execute, and summarise one measurement run.

Exit codes: :mod:`runners.cli.exits` (README, "Exit codes").
"""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer

from probes.contract import AdapterConfigError
from probes.outcome import ErrorKind
from probes.registry import UnknownAdapterError
from runners.cli.display import RunView, print_summary, watch_run
from runners.cli.exits import EXIT_INTERRUPTED, EXIT_NOT_WRITTEN, EXIT_NOTHING_USEFUL, fail
from runners.cli.options import (
    Backoff,
    BaseUrls,
    Burst,
    Concurrency,
    ControlEvery,
    FasterThanPolite,
    MaxAttempts,
    MaxBody,
    Rate,
    ReaskDelay,
    RunResultsFolder,
    Timeout,
    base_urls_of,
    config_from_options,
    header_file,
)
from runners.execution.health import MAX_ERROR_SHARE, shortfalls
from runners.execution.prober import run_pacing
from runners.execution.runner import RunResult, execute, reask_errors
from runners.keywords.lists import KeywordListsInvalid
from runners.plan.planner import NoControlsError, Plan, make_plan
from snapshots.format import SnapshotError, iter_observations, read_manifest, run_dir
from snapshots.writer import SnapshotWriteError

__all__ = [
    "MAX_ERROR_SHARE",
    "SETUP_ERRORS",
    "MaxErrorShare",
    "base_urls_of",
    "conclude",
    "probes_done",
    "run_command",
    "run_plan",
    "setup_failure",
]

MaxErrorShare = Annotated[
    float,
    typer.Option(
        min=0,
        max=1,
        help="Exit 3 when errors pass this share of a platform's probes (0.05 = 5 %).",
    ),
]


#: What can go wrong before a request is sent: bad lists, adapters, settings or snapshots.
SETUP_ERRORS = (
    KeywordListsInvalid,
    AdapterConfigError,
    UnknownAdapterError,
    NoControlsError,
    SnapshotError,
    ValueError,
)


def setup_failure(exc: Exception) -> typer.Exit:
    """A clear exit for one of :data:`SETUP_ERRORS` (a failed write: exit 4)."""
    if isinstance(exc, KeywordListsInvalid):
        return fail(f"invalid keyword lists; nothing was run:\n{exc}")
    if isinstance(exc, SnapshotWriteError):
        return fail(str(exc), EXIT_NOT_WRITTEN)
    return fail(str(exc))


class Ended(Protocol):
    """How a run ended, local (:class:`RunResult`) or distributed (``DispatchResult``)."""

    run_id: str
    folder: Path
    status: str
    counts: dict[str, Any]
    aborted: dict[str, str]


def conclude(result: Ended, max_error_share: float, resume_hint: str) -> None:
    """Print the summary, then exit as :mod:`runners.cli.exits` says (return: exit 0)."""
    print_summary(result.run_id, result.status, result.counts)
    print(f"snapshot: {result.folder}")
    problems = shortfalls(result, max_error_share)
    if result.status != "complete" and not result.aborted:
        raise fail(f"run interrupted; {resume_hint}", EXIT_INTERRUPTED)
    if problems:
        where = f"; {resume_hint}" if result.status != "complete" else ""
        raise fail(
            "the run measured nothing useful:\n" + "\n".join(problems) + where,
            EXIT_NOTHING_USEFUL,
        )


def run_plan(
    plan: Plan,
    results: Path,
    run_id: str | None,
    resume: bool,
    label: str = "probing",
    reask: Callable[[dict[str, Any]], bool] | None = None,
) -> RunResult:
    """Execute with progress display and clean Ctrl-C / SIGTERM handling."""
    left = plan.totals()
    if resume and run_id:
        for platform, done in probes_done(results, run_id, reask).items():
            left[platform] = left.get(platform, 0) - done

    async def main(view: RunView) -> RunResult:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()

        def on_signal() -> None:
            if stop.is_set() and current is not None:
                current.cancel()  # a second signal: stop now, resume redoes the rest
            elif not stop.is_set():
                view.stopping()
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        return await execute(
            plan, results, run_id=run_id, resume=resume, watcher=view, stop=stop, reask=reask
        )

    with watch_run(label) as view:
        for platform, adapter in plan.adapters.items():
            view.begin(platform, max(left.get(platform, 0), 0), run_pacing(adapter, plan.config)[0])
        try:
            return asyncio.run(main(view))
        except asyncio.CancelledError:
            raise fail(
                "interrupted; resume with --resume " + (run_id or "RUN_ID"), EXIT_INTERRUPTED
            ) from None


def probes_done(
    results: Path, run_id: str, reask: Callable[[dict[str, Any]], bool] | None = None
) -> Counter[str]:
    """Probes written (and not to be asked again), per platform. The manifest's counts may
    predate a kill -9; the observations file does not."""
    return Counter(
        str(o.get("platform"))
        for o in iter_observations(run_dir(results, run_id))
        if o["role"] == "probe" and not (reask and reask(o))
    )


def _kinds(values: list[str] | None) -> list[str] | None:
    """``--retry-kind`` values (repeatable, or comma-separated), checked against the kinds."""
    if not values:
        return None
    kinds = [kind.strip() for value in values for kind in value.split(",") if kind.strip()]
    known = {kind.value for kind in ErrorKind}
    unknown = sorted(set(kinds) - known)
    if unknown:
        raise ValueError(
            f"--retry-kind {', '.join(unknown)}: not an error kind; known: {', '.join(sorted(known))}"
        )
    return kinds


def run_command(
    lists: Annotated[list[Path] | None, typer.Argument(help="Keyword list files (YAML).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", "-p", help="Adapter name; repeatable.")
    ] = None,
    base_url: BaseUrls = None,
    rate: Rate = None,
    burst: Burst = None,
    faster_than_polite: FasterThanPolite = None,
    concurrency: Concurrency = None,
    max_attempts: MaxAttempts = None,
    timeout: Timeout = None,
    max_body: MaxBody = None,
    backoff: Backoff = None,
    control_every: ControlEvery = None,
    reask_delay: ReaskDelay = None,
    vantage: Annotated[
        str | None,
        typer.Option(help="Label of where this run measures from (default local)."),
    ] = None,
    proxy: Annotated[
        str | None, typer.Option(help="Proxy of the vantage point (http:// or socks5://).")
    ] = None,
    headers_file: Annotated[
        Path | None,
        typer.Option(
            "--headers", help="File of `Name: value` request headers (cookies); never recorded."
        ),
    ] = None,
    shard: Annotated[str | None, typer.Option(help="Run only shard i/n of the plan.")] = None,
    user_agent: Annotated[
        str | None, typer.Option(help="User-Agent header (honest by default).")
    ] = None,
    redact_param: Annotated[
        list[str] | None, typer.Option(help="Extra query parameter to redact; repeatable.")
    ] = None,
    no_evidence: Annotated[
        bool, typer.Option("--no-evidence", help="Do not keep the WARC evidence file.")
    ] = False,
    out: RunResultsFolder = Path("results"),
    run_id: Annotated[
        str | None, typer.Option(help="Name the run (default: UTC time + random).")
    ] = None,
    resume: Annotated[
        str | None, typer.Option(help="Resume an interrupted run (or retry errors) by its id.")
    ] = None,
    retry_errors: Annotated[
        bool,
        typer.Option(
            "--retry-errors",
            help="With --resume: ask again the probes that ended in an error, in an interrupted "
            "or complete run; the old observations are kept in superseded.jsonl.",
        ),
    ] = False,
    retry_kind: Annotated[
        list[str] | None,
        typer.Option(help="With --retry-errors: only errors of this kind; repeatable."),
    ] = None,
    max_error_share: MaxErrorShare = MAX_ERROR_SHARE,
    isolate: Annotated[
        bool,
        typer.Option(
            "--isolate",
            help="After a complete run, isolate the trigger of each censored combination or "
            "long text (isolations.jsonl).",
        ),
    ] = False,
    isolate_budget: Annotated[
        int | None, typer.Option(min=1, help="Most queries per isolation (with --isolate).")
    ] = None,
) -> None:
    """Probe every term of the LISTS on each --platform and write a snapshot."""
    try:
        options: dict[str, Any] = {
            "base_urls": base_url,
            "rate": rate,
            "burst": burst,
            "faster_than_polite": faster_than_polite,
            "concurrency": concurrency,
            "max_attempts": max_attempts,
            "timeout": timeout,
            "max_body_bytes": max_body,
            "backoff": backoff,
            "control_every": control_every,
            "reask_delay": reask_delay,
            "user_agent": user_agent,
            "redact_params": redact_param,
            "proxy": proxy,
            "headers": header_file(headers_file),
            "platforms": platform,
            "vantage": vantage,
            "shard": shard,
            "evidence": False if no_evidence else None,
        }
        reask = None
        if retry_errors or retry_kind:
            if not (resume and retry_errors):
                raise fail("--retry-errors (and --retry-kind) go with --resume RUN_ID")
            reask = reask_errors(_kinds(retry_kind))
        if resume:
            if lists:
                raise fail("a resumed run keeps its keyword lists: give no LISTS with --resume")
            stored = read_manifest(run_dir(out, resume)).get("config")
            if not isinstance(stored, dict):
                raise SnapshotError(f"{run_dir(out, resume)}: the manifest has no config")
            config = config_from_options(options, stored)
        else:
            if not lists or not platform:
                raise fail("give keyword LISTS and at least one --platform (or --resume RUN_ID)")
            options["lists"] = [path.resolve() for path in lists]
            config = config_from_options(options)
        plan = make_plan(config)
        result = run_plan(plan, out, resume or run_id, bool(resume), reask=reask)
    except SETUP_ERRORS as exc:
        raise setup_failure(exc) from None
    conclude(
        result,
        max_error_share,
        f"resume with: censorprobe run --resume {result.run_id} --out {out}",
    )
    if isolate:
        from runners.cli.isolate import isolation_progress
        from runners.isolation.driver import ISOLATIONS, isolate_snapshot

        with isolation_progress(plain=True) as tell:
            isolating = isolate_snapshot(result.folder, config, isolate_budget, progress=tell)
            records = asyncio.run(isolating)
        found = sum(1 for record in records if record["trigger"])
        failed = sum(1 for record in records if record["error"])
        print(
            f"isolations: {len(records)} new ({found} triggers, {failed} failed): "
            f"{result.folder / ISOLATIONS}"
        )
