"""``censorprobe testbed``: serve the censoring testbed on loopback."""

from __future__ import annotations

import asyncio
import contextlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from runners.cli.exits import fail
from testbed import RulesError, Testbed, TestbedConfig, load_rules, parse_faults, start
from testbed.personalities import personalities

#: The personalities' names, as choices the help lists and the parser checks.
#: (Built from the registry, which mypy cannot read statically.)
PersonalityName = StrEnum(  # type: ignore[misc]
    "PersonalityName", {name: name for name in sorted(personalities())}
)
_GENERIC = PersonalityName("generic")


def testbed_command(
    rules: Annotated[
        list[Path] | None,
        typer.Option("--rules", help="Rules file (.yaml, or Citizen Lab .txt); repeatable."),
    ] = None,
    host: Annotated[
        str, typer.Option(help="Address to listen on (keep it loopback).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.")] = 0,
    epoch: Annotated[int, typer.Option(help="Epoch the rules are evaluated at.")] = 1,
    personality: Annotated[
        PersonalityName, typer.Option(help="Answer in this platform's shape.")
    ] = _GENERIC,
    fault_rate: Annotated[float, typer.Option(help="Share of requests that get a fault.")] = 0.0,
    faults: Annotated[
        str, typer.Option(help="Fault kinds: 500,429,slow,reset,truncate,captcha,login.")
    ] = "500,429,slow,reset,truncate,captcha,login",
    seed: Annotated[int, typer.Option(help="Seed of the fault dice.")] = 0,
    retry_after: Annotated[int, typer.Option(help="Retry-After seconds sent with 429.")] = 1,
    slow_seconds: Annotated[float, typer.Option(help="How long a `slow` fault stalls.")] = 30.0,
    log: Annotated[
        Path | None, typer.Option(help="Append every request as a JSON line to this file.")
    ] = None,
    index: Annotated[
        bool,
        typer.Option(
            help="Search a corpus, so a rare string finds nothing (--no-index: every query "
            "no rule matches finds results)."
        ),
    ] = True,
    max_query_length: Annotated[
        int | None, typer.Option(help="Silently cut longer queries, as Baidu does.")
    ] = None,
) -> None:
    """Serve a censoring search engine on loopback, driven by rules files."""
    try:
        config = TestbedConfig(
            rules=load_rules(rules or []),
            personality=personality.value,
            epoch=epoch,
            fault_rate=fault_rate,
            faults=parse_faults(faults),
            seed=seed,
            retry_after=retry_after,
            slow_seconds=slow_seconds,
            log_path=log,
            index=index,
            max_query_length=max_query_length,
        )
    except (RulesError, ValueError) as exc:
        raise fail(str(exc)) from None

    async def serve() -> None:
        runner, url = await start(Testbed(config), host, port)
        print(
            f"testbed ({personality.value}, {len(config.rules.rules)} rules, epoch {epoch}, "
            f"{'index' if index else 'no index'}) listening on {url}",
            flush=True,
        )
        try:
            await asyncio.Event().wait()
        finally:
            await runner.cleanup()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve())
