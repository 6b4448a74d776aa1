"""The prober's wire (runners/execution/transport.py) against raw loopback servers: what goes
out is exactly the request (its headers, its URL as httpx encoded it, no cookie sent back),
and a broken or hostile answer is an error of the right kind, never an exception."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from probes.contract import Query
from probes.outcome import ErrorKind, Verdict
from probes.platforms.testbed import TestbedAdapter
from runners.execution.prober import Attempted, Prober
from runners.plan.config import RunConfig

PAGE = (Path(__file__).parent / "fixtures" / "testbed" / "visible.html").read_bytes()
Answer = Callable[[bytes], Awaitable[bytes | None]]


@asynccontextmanager
async def raw_server(answer: Answer) -> AsyncIterator[tuple[str, list[bytes]]]:
    """A server that reads each request head and writes back what ``answer`` makes of it
    (None: close the connection without a word)."""
    heads: list[bytes] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                heads.append(head)
                reply = await answer(head)
                if reply is None:
                    break
                writer.write(reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}", heads
    finally:
        server.close()


def _page(extra: bytes = b"", body: bytes = PAGE) -> bytes:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n" + extra
    return head + b"Content-Length: %d\r\n\r\n" % len(body) + body


def _probe(answer: Answer, texts: tuple[str, ...] = ("天气",), **settings: Any) -> Any:
    async def scenario() -> tuple[list[Attempted], list[bytes], float]:
        async with raw_server(answer) as (url, heads):
            config = RunConfig(
                lists=[Path("unused.yaml")],
                platforms=["testbed"],
                base_urls={"testbed": url},
                **{"rate": 0, "backoff": 0, "max_attempts": 1, "timeout": 5, **settings},
            )
            begun = time.monotonic()
            async with Prober(TestbedAdapter(url), config, keep_exchanges=True) as prober:
                found = [await prober.probe(Query(text)) for text in texts]
            return found, heads, time.monotonic() - begun

    return asyncio.run(scenario())


async def _page_with_cookie(head: bytes) -> bytes:
    return _page(b"Set-Cookie: SUB=session-1; Path=/\r\n")


def test_the_wire_carries_the_request_as_it_is_and_never_a_cookie() -> None:
    found, heads, _ = _probe(_page_with_cookie, ("天气 a+b~", "牛肉面"))
    assert [attempted.outcome.verdict for attempted in found] == [Verdict.VISIBLE] * 2
    first, second = (head.decode("latin-1").split("\r\n") for head in heads)
    assert first[0] == "GET /search?q=%E5%A4%A9%E6%B0%94+a%2Bb~ HTTP/1.1"  # httpx's encoding
    names = [line.split(":", 1)[0] for line in first[1:] if line]
    # Only the request's own headers, in their own spelling: no Accept of aiohttp's own.
    assert sorted(names) == ["Accept-Encoding", "Host", "User-Agent"], first
    assert not any(line.lower().startswith("cookie") for line in second), second
    # What the evidence records is what was sent.
    exchange = found[0].exchange
    assert exchange is not None
    assert [name.lower() for name, _ in exchange.request_headers] == [n.lower() for n in names]
    assert exchange.http_version == "HTTP/1.1" and exchange.reason == "OK"


async def _huge_header(head: bytes) -> bytes:
    return _page(b"X-Filler: " + b"a" * 200_000 + b"\r\n")


async def _garbage(head: bytes) -> bytes:
    return b"NOT HTTP AT ALL\r\n\r\n"


async def _hang_up(head: bytes) -> None:
    return None


def test_a_broken_answer_is_a_network_error_named_and_quick() -> None:
    for answer in (_huge_header, _garbage, _hang_up):
        (attempted,), heads, took = _probe(answer)
        outcome = attempted.outcome
        assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.NETWORK), answer
        assert outcome.detail and "Error" in outcome.detail, outcome.detail
        assert len(heads) == 1 and took < 3, (answer, took)


def test_a_body_cut_short_is_a_network_error_that_keeps_what_was_read() -> None:
    async def scenario() -> Attempted:
        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + PAGE[:500])
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
        config = RunConfig(
            lists=[Path("unused.yaml")],
            platforms=["testbed"],
            base_urls={"testbed": url},
            rate=0,
            max_attempts=1,
            timeout=5,
        )
        try:
            async with Prober(TestbedAdapter(url), config, keep_exchanges=True) as prober:
                return await prober.probe(Query("天气"))
        finally:
            server.close()

    attempted = asyncio.run(scenario())
    assert attempted.outcome.error is ErrorKind.NETWORK, attempted.outcome
    assert attempted.outcome.detail and "500 bytes of body read" in attempted.outcome.detail
    assert attempted.exchange is not None and attempted.exchange.body == PAGE[:500]


def test_one_attempt_is_one_request_even_when_the_connection_breaks() -> None:
    answers = iter([_page(), None, None, None])

    async def first_then_hang_up(head: bytes) -> bytes | None:
        return next(answers)

    found, heads, _ = _probe(first_then_hang_up, ("天气", "牛肉面"))
    assert found[0].outcome.verdict is Verdict.VISIBLE
    # The second probe went out on the kept-alive connection, which the server closed:
    # one attempt, one request; no silent resend underneath the prober.
    assert found[1].outcome.error is ErrorKind.NETWORK and found[1].attempts == 1
    assert len(heads) == 2
