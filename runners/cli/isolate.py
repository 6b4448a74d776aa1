"""``censorprobe isolate``: find which keywords of a censored text trigger the censorship."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from probes.contract import AdapterConfigError
from probes.registry import UnknownAdapterError, get_adapter
from runners.cli.display import err_console
from runners.cli.exits import fail
from runners.cli.options import (
    Backoff,
    FasterThanPolite,
    MaxAttempts,
    MaxBody,
    Timeout,
    config_from_options,
)
from runners.execution.prober import Prober
from runners.isolation.driver import (
    IsolationError,
    IsolationResult,
    isolate_text,
    read_known,
    read_priors,
)
from runners.isolation.search import BudgetExceeded
from runners.plan.conduct import check_conduct

__all__ = ["isolate_command", "isolation_progress"]

Tell = Callable[[str, int, int | None], None]
_PLAIN_EVERY_SECONDS = 10.0


@contextmanager
def isolation_progress(*, plain: bool) -> Iterator[Tell]:
    """``tell(what, queries, budget)``: a status line on a terminal (stderr), else with
    ``plain`` a line on stderr at most every ten seconds; stdout is left alone (``--json``)."""
    if err_console.is_terminal:
        with err_console.status("isolating") as status:

            def update(what: str, queries: int, budget: int | None) -> None:
                status.update(f"isolating {what}: {_counted(queries, budget)}")

            yield update
        return
    last = time.monotonic()

    def line(what: str, queries: int, budget: int | None) -> None:
        nonlocal last
        if plain and time.monotonic() - last >= _PLAIN_EVERY_SECONDS:
            last = time.monotonic()
            print(f"isolating {what}: {_counted(queries, budget)}", file=sys.stderr, flush=True)

    yield line


def _counted(queries: int, budget: int | None) -> str:
    sent = f"{queries} quer{'y' if queries == 1 else 'ies'} sent"
    return f"{sent}, {budget - queries} left of the budget of {budget}" if budget else sent


_JUDGED = {
    "notice": "by the platform's notice (exact)",
    "truism": "inside the platform's truism (exact)",
    "suspected": "by empty answers, no truism known (an empty answer may be a rare string)",
}


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
        float | None, typer.Option(min=0, help="Requests/s (0 = unpaced, loopback only).")
    ] = None,
    faster_than_polite: FasterThanPolite = None,
    max_attempts: MaxAttempts = None,
    timeout: Timeout = None,
    max_body: MaxBody = None,
    backoff: Backoff = None,
    known_file: Annotated[
        Path | None,
        typer.Option(
            "--known",
            help="An isolations.jsonl (of `run --isolate`): its triggers on this platform are "
            "tried first, and one that censors the text is checked to be still minimal.",
        ),
    ] = None,
    priors_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--priors",
            help="Rule lists that say which strings are likely parts (repeatable): Citizen Lab "
            "rules (.txt, ' + ' between parts), keyword lists (.yaml), isolations (.jsonl). "
            "They change which queries are asked, never the trigger found.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Isolate the keywords of TEXT that --platform censors, one real query at a time.

    A text longer than the platform takes is isolated by windows. Progress (queries sent,
    budget left) shows on stderr on a terminal.
    """
    text = _text_of(text, file)
    try:
        known = read_known(known_file, platform) if known_file else []
        priors = read_priors(
            [*(priors_files or ()), *([known_file] if known_file else [])], platform
        )
        config = config_from_options(
            {
                "lists": [],
                "platforms": [platform],
                "base_urls": [base_url] if base_url else None,
                "rate": rate,
                "max_attempts": max_attempts,
                "timeout": timeout,
                "max_body_bytes": max_body,
                "backoff": backoff,
                "evidence": False,
                "faster_than_polite": faster_than_polite,
            }
        )
        adapter = get_adapter(platform)(base_url=base_url)
        check_conduct(config, {platform: adapter})  # as `run` does, before any query
        adapter.check_ready()
    except (AdapterConfigError, UnknownAdapterError, ValueError) as exc:
        raise fail(str(exc)) from None

    async def main(tell: Tell) -> IsolationResult:
        async with Prober(adapter, config, keep_exchanges=False) as prober:
            return await isolate_text(
                text,
                prober,
                budget=budget,
                earlier=known,
                priors=priors,
                progress=lambda queries, most: tell(f"{len(text)} characters", queries, most),
            )

    try:
        with isolation_progress(plain=not as_json) as tell:
            result = asyncio.run(main(tell))
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
        print(f"judged: {_JUDGED[result.judged.value]}")
