"""The testbed server: an aiohttp app that censors like a platform, on loopback.

It answers searches in a personality's shape, applies the rule book at the current epoch,
injects faults at a given rate, and keeps a log of every request it saw (``GET
/_testbed/log``) so tests can measure pacing and routes from the server's side: each entry
says what the page showed (``answer``: what the personality rendered, ``renders_as``) and
which rule acted (``rule``).

Two ways to find results. By default every query no rule matches finds results
(:func:`testbed.pages.page_for`), the world of the older tests. With ``index=True`` queries are
searched in a corpus (:mod:`testbed.index`): a rare string finds nothing by itself, counts
drift a little between askings, the personality's OR operator and ``site:`` are honoured, so
the adapters' truisms work as on the real platform; the rules censor on top. With
``max_query_length`` the testbed silently cuts longer queries before reading them, as Baidu
does.
"""

from __future__ import annotations

import asyncio
import json
import random
import ssl
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from testbed.index import Index
from testbed.pages import page_for
from testbed.personalities import Personality, get_personality
from testbed.rules import RuleBook

__all__ = [
    "MAX_LINE",
    "POST_FORMS",
    "Fault",
    "TestbedConfig",
    "Testbed",
    "RunningTestbed",
    "serve_in_thread",
]

#: Longest request line and header the testbed reads, in bytes (a 5,000-character Chinese query
#: is about 45,000 once percent-encoded).
MAX_LINE = 1 << 20
#: Personalities whose platform takes a search as a POST form too (MediaWiki's api.php takes any
#: action by POST; the generic page is the testbed's own).
POST_FORMS = frozenset({"generic", "wikipedia"})


class Fault(StrEnum):
    SERVER_ERROR = "500"
    RATE_LIMIT = "429"
    SLOW = "slow"
    RESET = "reset"
    TRUNCATE = "truncate"
    CAPTCHA = "captcha"
    LOGIN = "login"


@dataclass
class TestbedConfig:
    rules: RuleBook = field(default_factory=lambda: RuleBook(()))
    personality: str = "generic"
    epoch: int = 1
    fault_rate: float = 0.0
    faults: tuple[Fault, ...] = tuple(Fault)
    seed: int = 0
    retry_after: int = 1
    slow_seconds: float = 30.0
    log_path: Path | None = None
    index: bool = False
    max_query_length: int | None = None


class Testbed:
    """The application and its state (epoch, log, fault dice)."""

    __test__ = False  # not a pytest class

    def __init__(self, config: TestbedConfig) -> None:
        self.config = config
        self.epoch = config.epoch
        self.personality: Personality = get_personality(config.personality)
        self.log: list[dict[str, Any]] = []
        self._dice = random.Random(config.seed)
        self._asked: dict[str, int] = {}
        self._log_file = config.log_path.open("a", encoding="utf-8") if config.log_path else None
        self.index = Index(config.rules.allowlist, seed=config.seed) if config.index else None

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/_testbed/log", self._get_log)
        app.router.add_get("/_testbed/health", self._health)
        app.router.add_post("/_testbed/epoch", self._set_epoch)
        app.router.add_route("*", "/{tail:.*}", self._search)
        app.on_cleanup.append(self._close_log)
        return app

    async def _close_log(self, _: web.Application) -> None:
        if self._log_file:
            self._log_file.close()

    async def _health(self, _: web.Request) -> web.Response:
        return web.json_response(
            {"ok": True, "epoch": self.epoch, "personality": self.personality.name}
        )

    async def _get_log(self, _: web.Request) -> web.Response:
        return web.json_response(self.log)

    async def _set_epoch(self, request: web.Request) -> web.Response:
        self.epoch = int(request.query["value"])
        return web.json_response({"epoch": self.epoch})

    def _record(
        self, request: web.Request, query: str | None, answer: str, rule: str | None = None
    ) -> None:
        entry = {
            "t": time.time(),
            "method": request.method,
            "path": request.path,
            "query": query,
            "answer": answer,
            "rule": rule,
            "epoch": self.epoch,
            "remote": request.remote,
            "user_agent": request.headers.get("User-Agent"),
            "vantage": request.headers.get("X-Censorprobe-Vantage"),
            "via": request.headers.get("Via"),
            "has_cookie": "Cookie" in request.headers,
        }
        self.log.append(entry)
        if self._log_file:
            self._log_file.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._log_file.flush()

    def _roll_fault(self, query: str) -> Fault | None:
        """Seeded per query and per how often it was asked, so faults do not depend on timing."""
        config = self.config
        if config.fault_rate <= 0 or not config.faults:
            return None
        asked = self._asked[query] = self._asked.get(query, 0) + 1
        dice = random.Random(f"{config.seed}/{query}/{asked}")
        if dice.random() >= config.fault_rate:
            return None
        return dice.choice(config.faults)

    async def _form_as_query(self, request: web.Request) -> web.Request:
        """A POST form read as if its fields were in the URL, where the platform takes one."""
        if request.method != "POST" or self.personality.name not in POST_FORMS:
            return request
        if request.content_type != "application/x-www-form-urlencoded":
            raise web.HTTPUnsupportedMediaType(text="a search form is url-encoded")
        body = b""
        while len(body) <= MAX_LINE and not request.content.at_eof():
            body += await request.content.read(MAX_LINE + 1 - len(body))
        if len(body) > MAX_LINE:
            raise web.HTTPRequestEntityTooLarge(max_size=MAX_LINE, actual_size=len(body))
        charset = request.charset or "utf-8"
        fields = parse_qsl(body.decode(charset, errors="replace"), keep_blank_values=True)
        # Read from the stream, not request.post(): a request that was read cannot be cloned.
        return request.clone(rel_url=request.rel_url.update_query(fields))

    async def _search(self, request: web.Request) -> web.StreamResponse:
        request = await self._form_as_query(request)
        query = self.personality.query_of(request)
        if query is None:
            self._record(request, None, "not_found")
            raise web.HTTPNotFound(text="no search here")
        fault = self._roll_fault(query)
        if fault is not None:
            self._record(request, query, f"fault:{fault.value}")
            return await self._inject(fault, request)
        searched = query[: self.config.max_query_length] if self.config.max_query_length else query
        rule = self.config.rules.match(searched, self.epoch, datetime.now(UTC))
        if self.index is not None:
            page = self.index.page(searched, rule, self.personality.operator)
        else:
            page = page_for(searched, rule, self.config.rules.allowlist)
        shown = self.personality.renders_as.get(page.kind, page.kind)
        self._record(request, query, shown.value, rule.action.value if rule else None)
        response = self.personality.render(page)
        # Real platforms hand out session cookies; evidence must never keep them.
        response.set_cookie("SUB", f"testbed-session-{self._dice.getrandbits(48):012x}")
        return response

    async def _inject(self, fault: Fault, request: web.Request) -> web.StreamResponse:
        if fault is Fault.SERVER_ERROR:
            return web.Response(status=500, text="Internal Server Error")
        if fault is Fault.RATE_LIMIT:
            return web.Response(
                status=429,
                text="Too Many Requests",
                headers={"Retry-After": str(self.config.retry_after)},
            )
        if fault is Fault.CAPTCHA:
            return self.personality.captcha()
        if fault is Fault.LOGIN:
            return self.personality.login()
        if fault is Fault.SLOW:
            await asyncio.sleep(self.config.slow_seconds)
            return web.Response(text="too late")
        transport = request.transport
        if fault is Fault.RESET:
            if transport is not None:
                transport.abort()
            return web.Response(status=500)
        # Truncate: promise a body, send part of it, then drop the connection.
        body = ("<html><body>" + "结果 " * 400 + "</body></html>").encode()
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        response.content_length = len(body)
        await response.prepare(request)
        await response.write(body[: len(body) // 3])
        if transport is not None:
            transport.abort()
        return response


@dataclass
class RunningTestbed:
    """A testbed serving in a background thread; ``url`` is where it listens."""

    url: str
    testbed: Testbed
    _loop: asyncio.AbstractEventLoop
    _thread: threading.Thread
    _stop: asyncio.Event

    def set_epoch(self, epoch: int) -> None:
        self.testbed.epoch = epoch

    @property
    def log(self) -> list[dict[str, Any]]:
        return list(self.testbed.log)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)


async def start(
    testbed: Testbed, host: str = "127.0.0.1", port: int = 0, tls: ssl.SSLContext | None = None
) -> tuple[web.AppRunner, str]:
    """Start serving on the running loop (over TLS with ``tls``, a server context); returns
    the runner (to clean up) and the base URL."""
    runner = web.AppRunner(
        testbed.app(),
        access_log=None,
        shutdown_timeout=1.0,
        max_line_size=MAX_LINE,
        max_field_size=MAX_LINE,
    )
    await runner.setup()
    site = web.TCPSite(runner, host, port, ssl_context=tls)
    await site.start()
    server = site._server
    sockets = getattr(server, "sockets", None) or ()
    bound_port = sockets[0].getsockname()[1] if sockets else port
    return runner, f"{'https' if tls else 'http'}://{host}:{bound_port}"


@contextmanager
def serve_in_thread(
    config: TestbedConfig,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: ssl.SSLContext | None = None,
) -> Iterator[RunningTestbed]:
    """Run a testbed in a daemon thread for the duration of the block."""
    handle = _start_thread(config, host, port, tls)
    try:
        yield handle
    finally:
        handle.stop()


def _start_thread(
    config: TestbedConfig, host: str, port: int, tls: ssl.SSLContext | None
) -> RunningTestbed:
    ready = threading.Event()
    box: dict[str, Any] = {}

    def main() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        stop = asyncio.Event()
        testbed = Testbed(config)

        async def serve() -> None:
            try:
                runner, url = await start(testbed, host, port, tls)
            except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
                box["error"] = exc
                ready.set()
                return
            box.update(url=url, testbed=testbed, loop=loop, stop=stop)
            ready.set()
            await stop.wait()
            await runner.cleanup()

        loop.run_until_complete(serve())
        loop.close()

    thread = threading.Thread(target=main, name="censorprobe-testbed", daemon=True)
    thread.start()
    ready.wait(timeout=10)
    if "error" in box:
        raise box["error"]
    return RunningTestbed(box["url"], box["testbed"], box["loop"], thread, box["stop"])


def parse_faults(spec: str | Sequence[str]) -> tuple[Fault, ...]:
    """``"500,429,slow"`` → faults; names outside the list are a clear error."""
    names = spec.split(",") if isinstance(spec, str) else list(spec)
    try:
        return tuple(Fault(name.strip()) for name in names if name.strip())
    except ValueError as exc:
        known = ",".join(f.value for f in Fault)
        raise ValueError(f"unknown fault in {spec!r}; known: {known}") from exc
