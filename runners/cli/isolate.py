"""``censorprobe isolate``: find which keywords of a censored text trigger the censorship."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer

from probes.contract import AdapterConfigError
from probes.registry import UnknownAdapterError, get_adapter
from runners.cli.options import Backoff, MaxAttempts, Timeout, config_from_options
from runners.cli.run import fail
from runners.execution.prober import Prober
from runners.isolation.driver import IsolationError, IsolationResult, isolate_text, read_known
from runners.isolation.search import BudgetExceeded

__all__ = ["isolate_command"]


def _text_of(text: str | None, file: Path | None) -> str:
    if (text is None) == (file is None):
        raise fail("give the TEXT to isolate or --file F (one of them)")
    if file is not None:
        try:
            text = file.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise fail(f"{file}: cannot read: {exc.strerror}") from None
    assert text is not None
    text = text.strip()
    if not text:
        raise fail("the text to isolate is empty")
    return text


def isolate_command(
    platform: Annotated[str, typer.Option("--platform", "-p", help="Adapter name.")],
    text: Annotated[str | None, typer.Argument(help="The censored text to isolate.")] = None,
    file: Annotated[
        Path | None, typer.Option("--file", "-f", help="Read the text from this file (UTF-8).")
    ] = None,
    base_url: Annotated[
        str | None, typer.Option(help="Point the adapter elsewhere (testbed, mirror).")
    ] = None,
    budget: Annotated[
        int | None, typer.Option(min=1, help="Most queries to send, the re-check included.")
    ] = None,
    rate: Annotated[
        float | None, typer.Option(help="Requests/s (0 = unpaced, loopback only).")
    ] = None,
    max_attempts: MaxAttempts = None,
    timeout: Timeout = None,
    backoff: Backoff = None,
    known_file: Annotated[
        Path | None,
        typer.Option(
            "--known",
            help="An isolations.jsonl (of `run --isolate`): its triggers on this platform are "
            "tried first, and one that censors the text is checked to be still minimal.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Isolate the keywords of TEXT that --platform censors, one real query at a time."""
    text = _text_of(text, file)
    try:
        known = read_known(known_file, platform) if known_file else []
        config = config_from_options(
            {
                "lists": [],
                "platforms": [platform],
                "base_urls": [base_url] if base_url else None,
                "rate": rate,
                "max_attempts": max_attempts,
                "timeout": timeout,
                "backoff": backoff,
                "evidence": False,
            }
        )
        adapter = get_adapter(platform)(base_url=base_url)
        adapter.check_ready()
    except (AdapterConfigError, UnknownAdapterError, ValueError) as exc:
        raise fail(str(exc)) from None

    async def main() -> IsolationResult:
        async with Prober(adapter, config, keep_exchanges=False) as prober:
            return await isolate_text(text, prober, budget=budget, earlier=known)

    try:
        result = asyncio.run(main())
    except IsolationError as exc:
        raise fail(f"{exc}; no trigger was found") from None
    except BudgetExceeded as exc:
        raise fail(f"{exc}; no trigger was found (raise --budget)") from None
    if as_json:
        print(json.dumps(result.to_json(), ensure_ascii=False))
    elif result.trigger is None:
        print("not censored")
        print(f"queries: {result.queries}")
    else:
        reused = " (found before, in --known)" if result.reused else ""
        print(f"trigger: {' + '.join(result.trigger)}{reused}")
        print(f"signal: {result.signal}")
        print(f"queries: {result.queries}")
