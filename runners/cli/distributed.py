"""``censorprobe dispatch`` and ``censorprobe worker``: one measurement from many vantage points.

Celery and Redis are an optional extra (``pip install 'censorprobe[distributed]'``); they are
imported only when one of these commands runs, so a local run never needs them.
"""

from __future__ import annotations

import os
import signal
from collections import Counter
from pathlib import Path
from typing import Annotated, Any

import typer

from runners.cli.display import err_console, watch_run
from runners.cli.exits import fail
from runners.cli.options import (
    Backoff,
    Concurrency,
    MaxAttempts,
    MaxBody,
    RunResultsFolder,
    Timeout,
    config_from_options,
)
from runners.cli.run import (
    MAX_ERROR_SHARE,
    SETUP_ERRORS,
    MaxErrorShare,
    conclude,
    probes_done,
    setup_failure,
)
from runners.execution.prober import run_pacing
from runners.plan.config import read_headers
from runners.plan.planner import make_plan
from snapshots.format import read_manifest, run_dir

__all__ = ["dispatch_command", "worker_command"]


def _distributed() -> Any:
    """The distributed package, or a clear error if the extra is not installed."""
    try:
        import celery  # noqa: F401
        import redis  # noqa: F401
    except ImportError:
        raise fail(
            "distributed runs need Celery and Redis: pip install 'censorprobe[distributed]'"
        ) from None
    from runners import distributed
    from runners.distributed import coordinator, tasks  # noqa: F401 - registers the task

    return distributed


def dispatch_command(
    lists: Annotated[list[Path] | None, typer.Argument(help="Keyword list files (YAML).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", "-p", help="Adapter name; repeatable.")
    ] = None,
    vantage: Annotated[
        list[str] | None,
        typer.Option(help="Vantage point (each needs a worker); repeatable, or comma-separated."),
    ] = None,
    base_url: Annotated[
        list[str] | None,
        typer.Option(help="Point an adapter elsewhere (testbed, mirror): URL or PLATFORM=URL."),
    ] = None,
    rate: Annotated[
        float | None,
        typer.Option(
            help="Requests/s per platform and vantage, shared by its workers (0 = unpaced)."
        ),
    ] = None,
    burst: Annotated[int | None, typer.Option(help="Burst size per platform and vantage.")] = None,
    concurrency: Concurrency = None,
    max_attempts: MaxAttempts = None,
    timeout: Timeout = None,
    max_body: MaxBody = None,
    backoff: Backoff = None,
    batch_size: Annotated[
        int, typer.Option(help="Probes per batch; each batch is judged by its own controls.")
    ] = 25,
    deadline: Annotated[
        float | None,
        typer.Option(help="Stop waiting after S seconds; what is missing can be resumed."),
    ] = None,
    no_evidence: Annotated[
        bool, typer.Option("--no-evidence", help="Do not keep the WARC evidence file.")
    ] = False,
    out: RunResultsFolder = Path("results"),
    run_id: Annotated[str | None, typer.Option(help="Name the run.")] = None,
    resume: Annotated[str | None, typer.Option(help="Resume an interrupted run by its id.")] = None,
    max_error_share: MaxErrorShare = MAX_ERROR_SHARE,
) -> None:
    """Send the LISTS' probes to the workers of each --vantage and write one snapshot."""
    _distributed()
    from runners.distributed.coordinator import dispatch

    try:
        options: dict[str, Any] = {
            "base_urls": base_url,
            "rate": rate,
            "burst": burst,
            "concurrency": concurrency,
            "max_attempts": max_attempts,
            "timeout": timeout,
            "max_body_bytes": max_body,
            "backoff": backoff,
            "evidence": False if no_evidence else None,
        }
        if resume:
            manifest = read_manifest(run_dir(out, resume))
            config = config_from_options(options, manifest["config"])
            vantages = list(manifest.get("vantages") or [])
        else:
            if not lists or not platform or not vantage:
                raise fail("give keyword LISTS, --platform and --vantage (or --resume RUN_ID)")
            vantages = list(
                dict.fromkeys(
                    name.strip() for value in vantage for name in value.split(",") if name.strip()
                )
            )
            options.update(
                lists=[path.resolve() for path in lists],
                platforms=platform,
                vantage=",".join(vantages),
            )
            config = config_from_options(options)
        plan = make_plan(config)
        stopping = {"stop": False}

        def on_signal(*_: object) -> None:
            stopping["stop"] = True

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, on_signal)
        done = probes_done(out, resume) if resume else Counter[str]()
        with watch_run("dispatching") as view:
            for name, planned in plan.totals().items():
                rate = run_pacing(plan.adapters[name], config)[0] * len(vantages)
                view.begin(name, max(planned * len(vantages) - done[name], 0), rate)
            result = dispatch(
                plan,
                vantages,
                out,
                run_id=resume or run_id,
                resume=bool(resume),
                deadline=deadline,
                batch_size=batch_size,
                watcher=view,
                should_stop=lambda: stopping["stop"],
            )
    except SETUP_ERRORS as exc:
        raise setup_failure(exc) from None
    for name in result.no_worker:
        err_console.print(
            f"[yellow]warning:[/yellow] no live worker consumed vantage {name!r} when the run started"
        )
    if result.recovered:
        err_console.print(
            f"resumed: {result.recovered} batch(es) of the earlier dispatch had come back and "
            "were written; its batches still queued are dropped by the workers"
        )
    for name, count in sorted(result.outstanding.items()):
        err_console.print(f"[yellow]vantage {name!r}:[/yellow] {count} batch(es) not answered")
    conclude(
        result,
        max_error_share,
        f"resume with: censorprobe dispatch --resume {result.run_id} --out {out}",
    )


def worker_command(
    vantage: Annotated[str, typer.Option(help="The vantage point this worker measures from.")],
    concurrency: Annotated[int, typer.Option(help="Batches probed at once.")] = 2,
    proxy: Annotated[
        str | None, typer.Option(help="Proxy of this vantage point (http:// or socks5://).")
    ] = None,
    pool: Annotated[str, typer.Option(help="Celery pool: threads or prefork.")] = "threads",
    headers: Annotated[
        Path | None,
        typer.Option(
            help="Headers file of this vantage point (`Name: value` lines, e.g. its session "
            "cookie): read by this worker only, never sent through the broker or recorded."
        ),
    ] = None,
) -> None:
    """Consume the batches of one vantage point (queue vantage.NAME) until stopped."""
    _distributed()
    try:
        read_headers(headers)
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None
    start_worker(vantage, concurrency=concurrency, proxy=proxy, pool=pool, headers=headers)


def start_worker(
    vantage: str,
    *,
    concurrency: int = 2,
    proxy: str | None = None,
    pool: str = "threads",
    headers: Path | None = None,
) -> None:
    """Run a Celery worker on ``vantage.<vantage>`` in this process (blocks)."""
    from runners.distributed import tasks  # noqa: F401 - registers the task
    from runners.distributed.app import app, queue_of

    if proxy:
        os.environ[tasks.PROXY_ENV] = proxy
    if headers:
        os.environ[tasks.HEADERS_ENV] = str(headers.resolve())
    worker = app.Worker(
        queues=[queue_of(vantage)],
        concurrency=concurrency,
        pool=pool,
        hostname=f"{vantage}-{os.getpid()}@%h",
        loglevel="WARNING",
        without_gossip=True,
        without_mingle=True,
    )
    worker.start()
