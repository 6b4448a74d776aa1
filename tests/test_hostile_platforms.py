"""Hostile platforms cannot take a run down (docs/architecture.md, "Every platform is hostile").

Each attack is a loopback server this test starts, bounded in requests, bytes and time, and
stopping by itself: bodies without end, a 2 GB ``Content-Length``, a gzip bomb (1 MB on the
wire, 1 GB inflated), headers and bodies dripped a byte a second, a Retry-After of three
years, redirects that loop, set cookies or lead to another host. Each ends as the error its
kind names, in bounded time and memory (peak RSS read from ``/proc``, generous ceilings), and
nothing the user gave with ``--headers`` reaches another host. Last, every adapter's recorded
cases are replayed through a real exchange: they must read as the adapter's own classify reads
them, since there is one status policy and it is the adapter's.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import re
import struct
import sys
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from support import REPO, manifest, observations, only_run, write_list

from probes.contract import Adapter, Case, Query
from probes.kit.checks import fixture_bytes, run_case
from probes.outcome import ErrorKind, Verdict
from probes.platforms.testbed import TestbedAdapter
from probes.registry import adapters
from runners.execution.fetch import MAX_REDIRECTS
from runners.execution.prober import Attempted, Prober
from runners.plan.config import RunConfig

FIXTURES = REPO / "tests" / "fixtures"
REDIRECT_TOKEN = "redirect-secret-7f3a9c"
CAP = RunConfig.model_fields["max_body_bytes"].default
PAGE = (REPO / "tests" / "fixtures" / "testbed" / "visible.html").read_bytes()
CHUNK = b"\0" * 2**16
MB = 2**20
#: Generous ceilings: they must hold on a loaded 2-core machine, and the attacks they bound
#: would blow them by orders of magnitude (a body read whole: 1 to 2 GB, a drip: forever).
MEMORY_CEILING_MB = 300
SECRETS = {"X-Api-Key": "hdr-secret-4f1c9a", "X-Vantage-Pass": "hdr-secret-77b2e0"}


@dataclass
class Site:
    """A loopback server and what it was asked."""

    url: str
    log: list[dict[str, Any]] = field(default_factory=list)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serving(handler: Handler, host: str = "127.0.0.1") -> AsyncIterator[Site]:
    """Serve ``handler`` on every path of ``host``, logging each request's path and headers."""
    site = Site("")

    async def logged(request: web.Request) -> web.StreamResponse:
        site.log.append({"path": request.path_qs, "headers": dict(request.headers)})
        return await handler(request)

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", logged)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, 0).start()
    site.url = f"http://{host}:{runner.addresses[0][1]}"
    try:
        yield site
    finally:
        await runner.cleanup()


def _config(url: str, **settings: Any) -> RunConfig:
    settings = {"rate": 0, "backoff": 0, "max_attempts": 3, "timeout": 10, **settings}
    return RunConfig(
        lists=[Path("unused.yaml")], platforms=["testbed"], base_urls={"testbed": url}, **settings
    )


async def _probe(url: str, text: str = "天气", **settings: Any) -> tuple[Attempted, float]:
    adapter = TestbedAdapter(url)
    async with Prober(adapter, _config(url, **settings), keep_exchanges=True) as prober:
        begun = time.monotonic()
        attempted = await prober.probe(Query(text))
        return attempted, time.monotonic() - begun


def _status_kb(key: str) -> int:
    found = re.search(rf"^{key}:\s+(\d+) kB", Path("/proc/self/status").read_text(), re.M)
    assert found is not None, key
    return int(found.group(1))


def _peak_growth_mb(scenario: Callable[[], Any]) -> tuple[Any, float]:
    """Run ``scenario``; its result and how far the peak RSS rose above the RSS before it."""
    # Reset the peak (VmHWM) to the current RSS; where that is refused the bound only tightens.
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    before = _status_kb("VmRSS")
    result = scenario()
    return result, (_status_kb("VmHWM") - before) / 1024


# -- bodies past the cap ------------------------------------------------------------------


@cache
def _gzip_bomb() -> bytes:
    """A valid gzip member of 1 GiB of zeros in about 1 MB: the same fully flushed deflate
    block of 1 MiB of zeros 1024 times (each block stands alone, so they are identical)."""
    zeros = b"\0" * MB
    deflate = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    deflate.compress(zeros)
    block = deflate.flush(zlib.Z_FULL_FLUSH)
    repeated = deflate.compress(zeros) + deflate.flush(zlib.Z_FULL_FLUSH)
    assert repeated == block
    crc = 0
    for _ in range(1024):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
    return header + block * 1024 + deflate.flush() + struct.pack("<II", crc, 0)


async def _stream(request: web.Request, response: web.StreamResponse, limit: int) -> None:
    """Write zeros until the client leaves or ``limit`` bytes (the server stops by itself)."""
    await response.prepare(request)
    sent = 0
    try:
        while sent < limit:
            await response.write(CHUNK)
            sent += len(CHUNK)
    except (ConnectionError, RuntimeError):
        return  # the client hung up: what the test wants


async def _endless(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.enable_chunked_encoding()
    await _stream(request, response, 4 * 2**30)
    return response


async def _two_gigabytes(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.content_length = 2 * 2**30
    await _stream(request, response, 2 * 2**30)
    return response


async def _bomb(request: web.Request) -> web.StreamResponse:
    body = _gzip_bomb()
    headers = {"Content-Type": "text/html", "Content-Encoding": "gzip"}
    return web.Response(body=body, headers=headers)


@pytest.mark.parametrize(
    "handler", [_endless, _two_gigabytes, _bomb], ids=["endless", "2GB-length", "gzip-bomb"]
)
def test_a_body_past_the_cap_is_too_large_kept_up_to_the_cap_and_not_retried(
    handler: Handler,
) -> None:
    if handler is _bomb:
        assert len(_gzip_bomb()) < 1.1 * MB  # built before measuring: the server's, not ours

    async def scenario() -> tuple[Attempted, float, int]:
        async with serving(handler) as site:
            attempted, elapsed = await _probe(site.url, max_attempts=3)
            return attempted, elapsed, len(site.log)

    (attempted, elapsed, asked), growth = _peak_growth_mb(lambda: asyncio.run(scenario()))
    outcome = attempted.outcome
    assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.TOO_LARGE), outcome
    assert outcome.detail is not None and str(CAP) in outcome.detail
    assert attempted.attempts == 1 and asked == 1, "a body too large is not asked again"
    assert attempted.exchange is not None and attempted.exchange.body == b"\0" * CAP
    assert attempted.status == 200
    assert elapsed < 30, f"{elapsed:.1f} s"
    assert growth < MEMORY_CEILING_MB, f"peak RSS grew {growth:.0f} MB"


def test_a_body_within_the_cap_is_read_whole_and_decoded() -> None:
    """The cap's other side: a gzipped page below it reads as the page it is."""
    page = zlib.compress(PAGE, wbits=zlib.MAX_WBITS | 16)

    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
        return web.Response(body=page, headers=headers)

    async def scenario() -> Attempted:
        async with serving(handler) as site:
            attempted, _ = await _probe(site.url, max_body_bytes=len(PAGE))
            assert site.log[0]["headers"]["Accept-Encoding"] == "gzip, deflate"
            return attempted

    attempted = asyncio.run(scenario())
    assert attempted.outcome.verdict is Verdict.VISIBLE, attempted.outcome
    assert attempted.exchange is not None and attempted.exchange.body == PAGE


# -- the deadline of a whole exchange -----------------------------------------------------


@asynccontextmanager
async def _dripping(headers_too: bool) -> AsyncIterator[Site]:
    """A raw server that sends a byte a second: its status line and headers too, or only its
    body (announced as 100 bytes). Each connection drips at most 60 bytes, then closes."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 100\r\n\r\n"
    site = Site("")

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        site.log.append({"connected": time.monotonic()})
        try:
            await reader.readuntil(b"\r\n\r\n")
            if not headers_too:
                writer.write(head)
            for byte in (head if headers_too else b"<html>" + b"x" * 54)[:60]:
                writer.write(bytes([byte]))
                await writer.drain()
                await asyncio.sleep(1)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    site.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    try:
        yield site
    finally:
        server.close()


def test_headers_or_a_body_dripped_a_byte_a_second_end_at_the_deadline() -> None:
    """``--timeout 5`` bounds each whole exchange, not each read; a timeout is retried."""

    async def drip(headers_too: bool, attempts: int) -> tuple[Attempted, float, int]:
        async with _dripping(headers_too) as site:
            attempted, elapsed = await _probe(site.url, timeout=5, max_attempts=attempts)
            return attempted, elapsed, len(site.log)

    async def both() -> list[tuple[Attempted, float, int]]:
        return await asyncio.gather(drip(True, 1), drip(False, 2))

    (headers, headers_s, headers_asked), (body, body_s, body_asked) = asyncio.run(both())
    for attempted in (headers, body):
        outcome = attempted.outcome
        assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.TIMEOUT), outcome
        assert outcome.detail is not None and "5 s deadline" in outcome.detail
    assert 4.5 < headers_s < 5 + 3, f"{headers_s:.1f} s for one attempt"
    assert headers.attempts == headers_asked == 1 and headers.exchange is None
    assert body.attempts == body_asked == 2, "a timeout is worth another attempt"
    assert 9.5 < body_s < 2 * 5 + 4, f"{body_s:.1f} s for two attempts"
    # What came before the deadline is kept as evidence.
    assert body.exchange is not None and body.status == 200
    assert body.exchange.body.startswith(b"<html") and len(body.exchange.body) < 10


# -- Retry-After --------------------------------------------------------------------------


def test_a_retry_after_beyond_the_longest_wait_ends_the_probe_without_pausing_the_platform() -> (
    None
):
    waits = {"years": "99999999", "date": "Fri, 31 Dec 9999 23:59:59 GMT", "brief": "1"}
    asked: dict[str, int] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        query = request.query.get("q", "")
        asked[query] = asked.get(query, 0) + 1
        if query in waits and asked[query] == 1 or query in ("years", "date"):
            return web.Response(status=429, headers={"Retry-After": waits[query]}, text="slow")
        return web.Response(body=PAGE, content_type="text/html")

    async def scenario() -> dict[str, tuple[Attempted, float]]:
        async with serving(handler) as site:
            adapter = TestbedAdapter(site.url)
            config = _config(site.url, max_attempts=5, max_retry_after=600)
            found: dict[str, tuple[Attempted, float]] = {}
            async with Prober(adapter, config) as prober:  # its own pacer, as a run has
                for text in ("years", "date", "天气", "brief"):
                    begun = time.monotonic()
                    found[text] = await prober.probe(Query(text)), time.monotonic() - begun
            return found

    found = asyncio.run(scenario())
    for text in ("years", "date"):
        attempted, elapsed = found[text]
        outcome = attempted.outcome
        assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.RATE_LIMITED)
        assert attempted.attempts == asked[text] == 1 and elapsed < 3, (text, elapsed)
        assert outcome.detail is not None and "600 s" in outcome.detail
    # The platform was not paused: the next term is answered at once.
    normal, normal_s = found["天气"]
    assert normal.outcome.verdict is Verdict.VISIBLE and normal_s < 3
    # A wait within the limit is honoured, then the probe is asked again.
    brief, brief_s = found["brief"]
    assert brief.outcome.verdict is Verdict.VISIBLE and brief.attempts == 2 and brief_s >= 0.9


# -- redirects ----------------------------------------------------------------------------


def test_a_redirect_on_the_same_host_is_followed_without_replaying_its_cookies() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        cookie = {"Set-Cookie": "sid=platform-cookie-91d3; Path=/"}
        if request.path == "/search":
            location = f"/final?{request.query_string}"
            return web.Response(status=302, headers={"Location": location, **cookie})
        return web.Response(body=PAGE, content_type="text/html", headers=cookie)

    async def scenario() -> tuple[list[Attempted], Site]:
        async with serving(handler) as site:
            adapter = TestbedAdapter(site.url)
            config = _config(site.url, headers={"X-Vantage-Pass": "same-host-ok"})
            async with Prober(adapter, config) as prober:
                return [await prober.probe(Query(text)) for text in ("天气", "足球")], site

    found, site = asyncio.run(scenario())
    assert [a.outcome.verdict for a in found] == [Verdict.VISIBLE, Verdict.VISIBLE]
    assert all(a.url.startswith(f"{site.url}/final?") for a in found)
    assert [entry["path"].split("?")[0] for entry in site.log] == ["/search", "/final"] * 2
    assert all("Cookie" not in entry["headers"] for entry in site.log), site.log
    # On its own host the platform gets the vantage point's headers at every hop.
    assert all(entry["headers"].get("X-Vantage-Pass") == "same-host-ok" for entry in site.log)


def test_redirects_that_never_end_are_an_error_after_a_few() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=307, headers={"Location": f"{request.path}x"})

    async def scenario() -> tuple[Attempted, int]:
        async with serving(handler) as site:
            attempted, _ = await _probe(site.url, max_attempts=3)
            return attempted, len(site.log)

    attempted, asked = asyncio.run(scenario())
    outcome = attempted.outcome
    assert (outcome.verdict, outcome.error) == (Verdict.ERROR, ErrorKind.REDIRECT)
    assert outcome.detail is not None and f"more than {MAX_REDIRECTS} redirects" in outcome.detail
    assert asked == MAX_REDIRECTS + 1 and attempted.attempts == 1


def test_a_redirect_to_another_host_is_an_error_naming_it_and_the_other_host_gets_nothing(
    tmp_path: Path,
) -> None:
    """The whole CLI run, with ``--headers``: a hop on the platform's host, then another host."""
    headers_file = tmp_path / "vantage.headers"
    headers_file.write_text("".join(f"{name}: {value}\n" for name, value in SECRETS.items()))
    keyword_list = write_list(tmp_path / "l.yaml", [("a", "天气"), ("b", "六四")])

    async def other(request: web.Request) -> web.StreamResponse:
        return web.Response(body=PAGE, content_type="text/html")

    async def scenario() -> tuple[int, Site, Site]:
        async with serving(other, host="127.0.0.2") as elsewhere:

            async def platform(request: web.Request) -> web.StreamResponse:
                leaving = f"{elsewhere.url}/search?token={REDIRECT_TOKEN}"
                target = "/hop" if request.path == "/search" else leaving
                return web.Response(status=302, headers={"Location": target})

            async with serving(platform) as site:
                process = await asyncio.create_subprocess_exec(
                    *(sys.executable, "-m", "runners.cli", "run", str(keyword_list)),
                    *("--platform", "testbed", "--base-url", site.url, "--rate", "0"),
                    *("--headers", str(headers_file), "--max-attempts", "2"),
                    *("--out", str(tmp_path / "r")),
                    cwd=REPO,
                    stdout=asyncio.subprocess.DEVNULL,
                    stderr=asyncio.subprocess.DEVNULL,
                )
                code = await asyncio.wait_for(process.wait(), timeout=120)
                return code, site, elsewhere

    _, site, elsewhere = asyncio.run(scenario())
    folder = only_run(tmp_path / "r")
    assert manifest(folder)["status"] in ("complete", "interrupted")
    for observation in observations(folder, controls=True):
        assert observation["verdict"] == "error", observation
        assert observation["error"]["kind"] == "redirect", observation
        assert f"HTTP 302 to {elsewhere.url}/search?token=" in observation["error"]["detail"]
        assert observation["attempts"] == 1, "a redirect elsewhere is not asked again"
    # The platform's host got the vantage point's headers (so the test can fail) ...
    assert site.log and all(e["headers"].get("X-Api-Key") == SECRETS["X-Api-Key"] for e in site.log)
    # ... and the other host got nothing at all, least of all a header value.
    assert elsewhere.log == []
    assert not any(secret in repr(elsewhere.log) for secret in SECRETS.values())
    # The token in where it led is redacted in everything the run wrote.
    for path in folder.iterdir():
        raw = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        assert REDIRECT_TOKEN.encode() not in raw, path


# -- one status policy --------------------------------------------------------------------

CASES = [
    (cls, case)
    for _, cls in sorted(adapters().items())
    for case in cls.cases
    if (cls.fixture_dir(FIXTURES) / case.fixture).is_file()
]


def test_every_case_reads_through_a_real_exchange_as_the_adapter_reads_it() -> None:
    """A case's status, headers and body served on loopback and probed by the prober read as
    ``classify`` reads the case: 429 and 5xx included, since the runner decides nothing."""
    answer: dict[str, Any] = {}

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=answer["status"], headers=answer["headers"], body=answer["body"])

    async def scenario() -> list[str]:
        differences = []
        async with serving(handler) as site:
            for cls, case in CASES:
                answer.update(_served(cls, case))
                adapter: Adapter = cls(base_url=site.url, env={})
                config = _config(site.url, max_attempts=1, max_retry_after=0)
                async with Prober(adapter, config, keep_exchanges=False) as prober:
                    real = (await prober.probe(Query(case.query))).outcome
                alone = run_case(cls, case, cls.fixture_dir(FIXTURES))
                read = (real.verdict, real.signal, real.error, real.result_count)
                if read != (alone.verdict, alone.signal, alone.error, alone.result_count):
                    differences.append(
                        f"{cls.name} {case.fixture}@{case.status}: {real} != {alone}"
                    )
        return differences

    assert len({case.status for _, case in CASES} & {429, 500, 502, 503}) >= 3
    assert asyncio.run(scenario()) == []


def _served(cls: type[Adapter], case: Case) -> dict[str, Any]:
    headers = {"Content-Type": "application/octet-stream", **dict(case.headers)}
    body = fixture_bytes(cls.fixture_dir(FIXTURES) / case.fixture)
    return {"status": case.status, "headers": headers, "body": body}
