"""``censorprobe run``: plan, execute, and summarise one measurement run."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from probes.contract import AdapterConfigError
from probes.registry import UnknownAdapterError
from runners.cli.display import err_console, print_summary, progress_hook
from runners.execution.runner import RunResult, execute
from runners.keywords.lists import KeywordListsInvalid
from runners.plan.config import DEFAULT_USER_AGENT, RunConfig, read_headers
from runners.plan.planner import NoControlsError, Plan, make_plan
from snapshots.format import SnapshotError, iter_observations, read_manifest, run_dir

__all__ = [
    "SETUP_ERRORS",
    "base_urls_of",
    "fail",
    "probes_done",
    "run_command",
    "run_plan",
    "setup_failure",
]

EXIT_INVALID = 1
EXIT_INTERRUPTED = 130


def fail(message: str, code: int = EXIT_INVALID) -> typer.Exit:
    err_console.print(
        f"[red]error:[/red] {escape(message)}", markup=True, highlight=False, soft_wrap=True
    )
    return typer.Exit(code)


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
    """A clear exit for one of :data:`SETUP_ERRORS`."""
    if isinstance(exc, KeywordListsInvalid):
        return fail(f"invalid keyword lists; nothing was run:\n{exc}")
    return fail(str(exc))


def base_urls_of(values: list[str], platforms: list[str]) -> dict[str, str]:
    """``URL`` (for a single platform) or ``platform=URL``."""
    urls: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if sep and not name.startswith("http"):
            urls[name] = url
        elif len(platforms) == 1:
            urls[platforms[0]] = value
        else:
            raise fail(f"--base-url {value!r}: with several platforms write PLATFORM=URL")
    return urls


def _header_file(path: Path | None) -> dict[str, str]:
    try:
        return read_headers(path)
    except (OSError, ValueError) as exc:
        raise fail(str(exc)) from None


def run_plan(
    plan: Plan, results: Path, run_id: str | None, resume: bool, label: str = "probing"
) -> RunResult:
    """Execute with progress display and clean Ctrl-C / SIGTERM handling."""
    total = plan.total() - (probes_done(results, run_id) if resume and run_id else 0)

    async def main(hook: Any) -> RunResult:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        current = asyncio.current_task()

        def on_signal() -> None:
            if stop.is_set() and current is not None:
                current.cancel()  # a second signal: stop now, resume redoes the rest
            stop.set()

        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, on_signal)
        return await execute(
            plan, results, run_id=run_id, resume=resume, on_observation=hook, stop=stop
        )

    with progress_hook(max(total, 0), label) as hook:
        try:
            return asyncio.run(main(hook))
        except asyncio.CancelledError:
            raise fail(
                "interrupted; resume with --resume " + (run_id or "RUN_ID"), EXIT_INTERRUPTED
            ) from None


def probes_done(results: Path, run_id: str) -> int:
    # The manifest's counts may predate a kill -9; the observations file does not.
    return sum(1 for o in iter_observations(run_dir(results, run_id)) if o["role"] == "probe")


def run_command(
    lists: Annotated[list[Path] | None, typer.Argument(help="Keyword list files (YAML).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", "-p", help="Adapter name; repeatable.")
    ] = None,
    base_url: Annotated[
        list[str] | None,
        typer.Option(help="Point an adapter elsewhere (testbed, mirror): URL or PLATFORM=URL."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(help="Requests/s per platform (0 = unpaced, loopback only).")
    ] = None,
    burst: Annotated[int | None, typer.Option(help="Burst size per platform.")] = None,
    concurrency: Annotated[int, typer.Option(help="Probes in flight per platform.")] = 4,
    max_attempts: Annotated[int, typer.Option(help="Attempts per probe, retries included.")] = 5,
    timeout: Annotated[float, typer.Option(help="Seconds per request.")] = 20.0,
    backoff: Annotated[
        float, typer.Option(help="First retry back-off in seconds (doubles).")
    ] = 1.0,
    control_every: Annotated[int, typer.Option(help="Re-check the controls every N probes.")] = 50,
    reask_delay: Annotated[
        float,
        typer.Option(
            min=0, help="Seconds before a term that found nothing is asked again (confirmation)."
        ),
    ] = RunConfig.model_fields["reask_delay"].default,
    vantage: Annotated[str, typer.Option(help="Label of where this run measures from.")] = "local",
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
    out: Annotated[Path, typer.Option(help="Results folder.")] = Path("results"),
    run_id: Annotated[
        str | None, typer.Option(help="Name the run (default: UTC time + random).")
    ] = None,
    resume: Annotated[str | None, typer.Option(help="Resume an interrupted run by its id.")] = None,
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
        if resume:
            stored = read_manifest(run_dir(out, resume))["config"]
            config = RunConfig.from_manifest(stored, _header_file(headers_file), proxy)
        else:
            if not lists or not platform:
                raise fail("give keyword LISTS and at least one --platform (or --resume RUN_ID)")
            config = RunConfig(
                user_agent=user_agent or DEFAULT_USER_AGENT,
                lists=[path.resolve() for path in lists],
                platforms=platform,
                base_urls=base_urls_of(base_url or [], platform),
                vantage=vantage,
                rate=rate,
                burst=burst,
                concurrency=concurrency,
                max_attempts=max_attempts,
                timeout=timeout,
                backoff=backoff,
                control_every=control_every,
                reask_delay=reask_delay,
                evidence=not no_evidence,
                redact_params=redact_param or [],
                shard=shard,
                proxy=proxy,
                headers=_header_file(headers_file),
            )
        plan = make_plan(config)
        result = run_plan(plan, out, resume or run_id, bool(resume))
    except SETUP_ERRORS as exc:
        raise setup_failure(exc) from None
    print_summary(result.run_id, result.status, result.counts)
    print(f"snapshot: {result.folder}")
    if result.status != "complete":
        raise fail(
            f"run interrupted; resume with: censorprobe run --resume {result.run_id} --out {out}",
            EXIT_INTERRUPTED,
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
