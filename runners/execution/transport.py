"""The wire under the prober: HTTP/1.1 on aiohttp, behind httpx's request and response types.

Adapters build ``httpx.Request`` and read ``httpx.Response`` (:mod:`probes.contract`); this
transport sends the request as it stands and hands back the answer unread. It exists for
speed: at ``--rate 0`` httpx's own pool (httpcore on anyio) spends more CPU per request than
the rest of a probe together, scanning every pooled connection and polling every idle socket
twice per request; aiohttp's connector and C parser do the same exchange for a fraction
(``benchmarks/bench_runner.py``). What it keeps from the httpx client it replaces:

- nothing of its own goes on the wire: no cookie jar (a platform's ``Set-Cookie`` is never
  sent back), no default headers (the request's are all there is, and the WARC records them),
  the URL exactly as httpx encoded it;
- no proxy but the run's own (``--proxy``, which the manifest records as part of the vantage
  point): ``HTTP_PROXY`` and the like in the environment are not used, nor ``.netrc``. An
  ``http(s)://`` proxy is aiohttp's own; ``socks5://`` (names resolved here) and
  ``socks5h://`` (names resolved by the proxy, at the vantage point: what a measurement of
  that place wants) go through aiohttp-socks, loaded only then;
- no silent second sending of a request whose connection broke: each attempt is one
  request, paced and counted by the prober;
- no redirects and no decompression: :func:`runners.execution.fetch.fetch` follows redirects
  itself and decodes the raw body under its cap;
- no deadline of its own: the exchange's one deadline is the caller's;
- errors are httpx's: a refused connection ``ConnectError``, a proxy's ``ProxyError``, a broken
  or oversized answer ``RemoteProtocolError``, any other transport failure ``NetworkError``,
  each with aiohttp's message.
"""

from __future__ import annotations

import contextlib
import ssl
from collections.abc import AsyncIterator, Iterator
from functools import cache
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp
import httpx
from yarl import URL

__all__ = ["AiohttpTransport"]

#: Longest header line and field the transport reads (aiohttp's default is 8 KiB; httpcore's
#: bound, which this replaces, was 100 KiB for the whole head).
MAX_HEADER_BYTES = 64 * 1024
#: How long an idle connection is kept for reuse (httpx's default keep-alive expiry).
KEEPALIVE_SECONDS = 5.0
#: Headers aiohttp would add on its own; the request's own are sent instead.
_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent")


@contextlib.contextmanager
def _as_httpx(
    request: httpx.Request, proxy_errors: tuple[type[Exception], ...] = ()
) -> Iterator[None]:
    """Raise aiohttp's errors (and the SOCKS proxy's) as the httpx errors they are."""
    try:
        yield
    except proxy_errors as exc:
        raise httpx.ProxyError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.ClientProxyConnectionError as exc:
        raise httpx.ProxyError(str(exc), request=request) from exc
    except aiohttp.ClientHttpProxyError as exc:
        raise httpx.ProxyError(str(exc), request=request) from exc
    except aiohttp.ClientConnectorError as exc:
        raise httpx.ConnectError(str(exc), request=request) from exc
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientResponseError) as exc:
        raise httpx.RemoteProtocolError(str(exc) or type(exc).__name__, request=request) from exc
    except aiohttp.ClientPayloadError as exc:
        raise httpx.RemoteProtocolError(str(exc), request=request) from exc
    except (aiohttp.ClientError, OSError) as exc:
        raise httpx.NetworkError(str(exc) or type(exc).__name__, request=request) from exc


@cache
def _tls() -> ssl.SSLContext:
    """httpx's own verified TLS context (its CA bundle), made on the first https request."""
    return httpx.create_ssl_context()


def _connector(
    max_connections: int, proxy: str | None
) -> tuple[aiohttp.BaseConnector, str | None, tuple[type[Exception], ...]]:
    """The connector for ``proxy``, the proxy left for aiohttp to use, and the SOCKS errors."""
    options: dict[str, Any] = {"limit": max_connections, "keepalive_timeout": KEEPALIVE_SECONDS}
    if proxy is None or not proxy.startswith(("socks5://", "socks5h://")):
        return aiohttp.TCPConnector(**options), proxy, ()
    import aiohttp_socks

    where = urlsplit(proxy)
    connector = aiohttp_socks.ProxyConnector(
        host=where.hostname or "",
        port=where.port or 1080,
        proxy_type=aiohttp_socks.ProxyType.SOCKS5,
        username=unquote(where.username) if where.username else None,
        password=unquote(where.password) if where.password else None,
        rdns=where.scheme == "socks5h",
        **options,
    )
    errors = (aiohttp_socks.ProxyError, aiohttp_socks.ProxyConnectionError)
    return connector, None, (*errors, aiohttp_socks.ProxyTimeoutError)


class _Body(httpx.AsyncByteStream):
    """The answer's body as it came off the wire, chunk by chunk."""

    def __init__(
        self,
        response: aiohttp.ClientResponse,
        request: httpx.Request,
        proxy_errors: tuple[type[Exception], ...],
    ) -> None:
        self._response = response
        self._request = request
        self._proxy_errors = proxy_errors

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx(self._request, self._proxy_errors):
            async for chunk in self._response.content.iter_any():
                yield chunk

    async def aclose(self) -> None:
        # A body not read to its end closes the connection instead of returning it to the pool.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An httpx transport over one ``aiohttp.ClientSession``; open it inside a running loop."""

    def __init__(self, *, max_connections: int, proxy: str | None = None) -> None:
        connector, self._proxy, self._proxy_errors = _connector(max_connections, proxy)
        self._session = aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=_AUTO_HEADERS,
            auto_decompress=False,
            timeout=aiohttp.ClientTimeout(total=None),
            trust_env=False,
            max_line_size=MAX_HEADER_BYTES,
            max_field_size=MAX_HEADER_BYTES,
        )
        # aiohttp sends an idempotent request a second time, unseen, when its connection
        # breaks; a platform must get exactly the attempts the prober paces and counts.
        # There is no public switch (aiohttp's own test client turns it off the same way).
        self._session._retry_connection = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        encoding = request.headers.encoding
        with _as_httpx(request, self._proxy_errors):
            response = await self._session.request(
                request.method,
                URL(str(request.url), encoded=True),
                headers=[
                    (name.decode(encoding), value.decode(encoding))
                    for name, value in request.headers.raw
                ],
                data=body or None,
                allow_redirects=False,
                proxy=self._proxy,
                ssl=_tls() if request.url.scheme == "https" else True,
            )
        version = response.version
        extensions: dict[str, object] = {
            "http_version": f"HTTP/{version.major}.{version.minor}".encode() if version else b""
        }
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(
            response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request, self._proxy_errors),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        await self._session.close()
