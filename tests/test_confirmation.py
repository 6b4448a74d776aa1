"""Confirmation of silent signals, over real HTTP against a loopback platform this test starts.

The platform answers in the testbed's page shape and filters like a real one: a withheld term
finds nothing, alone or inside a truism; a rare term finds nothing alone but the truism finds
results; a flaky term is empty once, then found.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote_plus

import pytest
from aiohttp import web
from support import write_list

from probes.contract import Query
from probes.outcome import Confidence, Outcome, Signal, Verdict
from probes.platforms.testbed import TestbedAdapter
from runners.execution.confirmation import Confirmation, Result, Role, confirm
from runners.execution.prober import Prober
from runners.execution.runner import execute
from runners.plan.config import RunConfig
from runners.plan.planner import make_plan

FIXTURES = Path(__file__).parent / "fixtures" / "testbed"
VISIBLE = (FIXTURES / "visible.html").read_text(encoding="utf-8")
EMPTY = (FIXTURES / "zero.html").read_text(encoding="utf-8")
WITHHELD = {"withheld", "白纸"}
COMMON = "common"


class TruismTestbed(TestbedAdapter):
    """The testbed adapter with a truism: ``(<term>) OR common``, its control ``common``."""

    silent_censorship: ClassVar[frozenset[Signal]] = frozenset({Signal.ZERO_RESULTS, Signal.SOFT})
    no_truism = False

    def truism(self, query: Query | None) -> Query | None:
        if self.no_truism:
            return None
        return Query(COMMON if query is None else f"({query.text}) OR {COMMON}")


class Platform:
    """A loopback search endpoint; counts the queries it was asked."""

    def __init__(self) -> None:
        self.asked: Counter[str] = Counter()
        self.broken: set[str] = set()

    async def search(self, request: web.Request) -> web.Response:
        query = request.query.get("q", "")
        self.asked[query] += 1
        if query in self.broken:
            return web.Response(status=503, text="down")
        term = query.removeprefix("(").removesuffix(f") OR {COMMON}")
        if term in WITHHELD:
            body = EMPTY
        elif query == COMMON or term != query:
            body = VISIBLE  # the truism finds results for any text that is not filtered
        elif term == "flaky":
            body = EMPTY if self.asked[query] == 1 else VISIBLE
        elif term.startswith("rare"):
            body = EMPTY
        else:
            body = VISIBLE
        return web.Response(text=body, content_type="text/html")


Served = tuple[Platform, str]


def against_platform(scenario: Callable[[Platform, str], Awaitable[None]]) -> None:
    """Run ``scenario(platform, base_url)`` with the platform served on loopback."""

    async def main() -> None:
        served = Platform()
        app = web.Application()
        app.router.add_get("/search", served.search)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        try:
            await scenario(served, f"http://127.0.0.1:{runner.addresses[0][1]}")
        finally:
            await runner.cleanup()

    asyncio.run(main())


def _config(url: str) -> RunConfig:
    return RunConfig(
        lists=[Path("unused.yaml")],
        platforms=["testbed"],
        base_urls={"testbed": url},
        rate=0,
        backoff=0,
        max_attempts=2,
        reask_delay=0,
        evidence=False,
    )


async def _confirm(
    adapter: TruismTestbed, config: RunConfig, text: str, delay: float = 0
) -> tuple[Outcome, Confirmation]:
    async with Prober(adapter, config) as prober:
        first = await prober.probe(Query(text))
        assert first.outcome.signal is Signal.ZERO_RESULTS
        return await confirm(prober, Query(text), first.outcome, reask_delay=delay)


def test_a_withheld_term_is_confirmed() -> None:
    async def scenario(served: Platform, url: str) -> None:
        outcome, confirmation = await _confirm(TruismTestbed(url), _config(url), "withheld")
        assert outcome.verdict is Verdict.CENSORED
        assert outcome.confidence is Confidence.CONFIRMED
        assert confirmation.result is Result.CONFIRMED
        roles = [p.role for p in confirmation.probes]
        assert roles == [Role.REASK, Role.TRUISM, Role.TRUISM_CONTROL]
        assert served.asked == Counter({"withheld": 2, "(withheld) OR common": 1, "common": 1})

    against_platform(scenario)


def test_a_rare_term_is_visible_with_count_zero() -> None:
    async def scenario(served: Platform, url: str) -> None:
        outcome, confirmation = await _confirm(TruismTestbed(url), _config(url), "rare-qx")
        assert outcome.verdict is Verdict.VISIBLE
        assert outcome.result_count == 0
        assert outcome.confidence is None
        assert confirmation.result is Result.CLEARED

    against_platform(scenario)


def test_a_transient_empty_is_cleared_by_the_reask() -> None:
    async def scenario(served: Platform, url: str) -> None:
        begun = time.monotonic()
        outcome, confirmation = await _confirm(TruismTestbed(url), _config(url), "flaky", delay=0.3)
        assert time.monotonic() - begun >= 0.3  # the re-ask waited its delay
        assert outcome.verdict is Verdict.VISIBLE and (outcome.result_count or 0) > 0
        assert confirmation.result is Result.CLEARED
        assert [p.role for p in confirmation.probes] == [Role.REASK]
        assert "(flaky) OR common" not in served.asked

    against_platform(scenario)


def test_without_a_truism_the_verdict_stays_suspected() -> None:
    async def scenario(served: Platform, url: str) -> None:
        adapter = TruismTestbed(url)
        adapter.no_truism = True
        for text in ("withheld", "rare-qx"):
            outcome, confirmation = await _confirm(adapter, _config(url), text)
            assert outcome.verdict is Verdict.CENSORED
            assert outcome.confidence is Confidence.SUSPECTED
            assert confirmation.result is Result.UNCONFIRMED
            assert "no truism" in confirmation.reason

    against_platform(scenario)


@pytest.mark.parametrize("broken", ["(withheld) OR common", "common"])
def test_a_failed_confirmation_is_never_a_confirmation(broken: str) -> None:
    async def scenario(served: Platform, url: str) -> None:
        served.broken.add(broken)
        outcome, confirmation = await _confirm(TruismTestbed(url), _config(url), "withheld")
        assert outcome.verdict is Verdict.CENSORED
        assert outcome.confidence is Confidence.SUSPECTED
        assert confirmation.result is Result.UNCONFIRMED
        assert "failed: http_status" in confirmation.reason
        assert served.asked[broken] == 2  # retried like any probe before giving up

    against_platform(scenario)


def test_a_run_records_the_confirmation_and_its_evidence(tmp_path: Path) -> None:
    terms = [("w", "withheld"), ("r", "rare-qx"), ("v", "open")]
    listing = write_list(tmp_path / "list.yaml", terms)

    async def scenario(served: Platform, url: str) -> None:
        config = _config(url).model_copy(update={"lists": [listing], "evidence": True})
        plan = make_plan(config)
        plan.adapters["testbed"] = TruismTestbed(url)
        result = await execute(plan, tmp_path / "results", run_id="confirm")
        lines = (result.folder / "observations.jsonl").read_text(encoding="utf-8").splitlines()
        probes = {o["term"]["id"]: o for o in map(json.loads, lines) if o["role"] == "probe"}

        withheld, rare, shown = probes["w"], probes["r"], probes["v"]
        assert (withheld["verdict"], withheld["confidence"]) == ("censored", "confirmed")
        assert withheld["confirmation"]["result"] == "confirmed"
        assert (rare["verdict"], rare["result_count"], rare["confidence"]) == ("visible", 0, None)
        assert rare["confirmation"]["result"] == "cleared"
        assert "confirmation" not in shown

        checks = withheld["confirmation"]["probes"]
        roles = ("reask", "truism", "truism_control")
        assert [p["key"] for p in checks] == [f"{withheld['key']}#{role}" for role in roles]
        warc = (result.folder / "evidence.warc.gz").read_bytes()
        for check in checks:
            start, length = check["evidence"]["offset"], check["evidence"]["length"]
            record = gzip.decompress(warc[start : start + length]).decode("utf-8", "replace")
            assert f"WARC-Target-URI: {url}/search?q=" in record
            assert check["query"].split(" ")[0].strip("()") in unquote_plus(record)

    against_platform(scenario)
