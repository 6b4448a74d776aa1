"""A platform that declares a codec no page is written in (``charset=idna``, ``rot13``).

Python knows these names, so a naive decoder raises instead of decoding: the run must still
read the page (as UTF-8), and the report of the run must still render it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from aiohttp import web
from support import observations, run_probes, write_list

from snapshots.report import build_report
from testbed import Action, Rule, RuleBook


@pytest.fixture
def relabelling_proxy(start_testbed, request: pytest.FixtureRequest) -> Iterator[str]:
    """A loopback server that answers with the testbed's pages under a bogus charset."""
    testbed = start_testbed(rules=RuleBook((Rule(parts=("四通桥",), action=Action.NOTICE),)))
    charset = request.param

    async def relay(incoming: web.Request) -> web.Response:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{testbed.url}{incoming.path_qs}")
        return web.Response(
            body=answer.content,
            status=answer.status_code,
            headers={"Content-Type": f"text/html; charset={charset}"},
        )

    ready = threading.Event()
    state: dict[str, object] = {}

    def serve() -> None:
        loop = asyncio.new_event_loop()
        app = web.Application()
        app.router.add_route("GET", "/{tail:.*}", relay)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        state["port"] = runner.addresses[0][1]
        state["loop"], state["runner"] = loop, runner
        ready.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield f"http://127.0.0.1:{state['port']}"
    loop = state["loop"]
    assert isinstance(loop, asyncio.AbstractEventLoop)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)


@pytest.mark.parametrize("relabelling_proxy", ["idna", "rot13"], indirect=True)
def test_a_bogus_charset_is_read_as_utf8_and_the_report_renders_it(
    relabelling_proxy: str, tmp_path: Path
) -> None:
    keyword_list = write_list(tmp_path / "l.yaml", [("bridge", "四通桥"), ("plain", "天气预报")])
    folder = run_probes([keyword_list], relabelling_proxy, tmp_path / "results")
    seen = {o["term"]["id"]: (o["verdict"], o["signal"]) for o in observations(folder)}
    assert seen == {"bridge": ("censored", "notice"), "plain": ("visible", None)}
    page = build_report(tmp_path / "results").html
    assert "四通桥" in page
