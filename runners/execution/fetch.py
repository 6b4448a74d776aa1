"""One exchange with a platform, bounded (docs/architecture.md, "Every platform is hostile").

- The body is streamed and decoded here (:class:`~runners.execution.body.CappedBody`), so its
  cap holds after decoding; past the cap the exchange is a ``too_large`` error.
- One deadline covers the whole exchange: connecting, the headers, the body and any
  redirects. A platform that drips a byte a second ends as a ``timeout`` when it passes.
- Redirects are followed only on the request's own host, never from https to http, at most
  :data:`MAX_REDIRECTS` times, with the request's own headers. Any other redirect is handed
  to the adapter as it came (its fingerprints know a login or captcha redirect; otherwise it
  is a ``redirect`` error naming where it led). No cookie jar: a platform's ``Set-Cookie``
  is never sent back (:mod:`runners.execution.transport`).

Whatever was read before a limit or a transport error is kept, up to the cap, as evidence.
The status of the answer is not looked at here: that is the adapter's (one status policy,
:meth:`probes.contract.Adapter.classify`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from probes.outcome import ErrorKind, Outcome
from runners.execution.body import ACCEPT_ENCODING, CappedBody

__all__ = ["MAX_REDIRECTS", "Fetched", "fetch"]

MAX_REDIRECTS = 5
#: Response headers that describe the body as sent, not the decoded body that is kept.
_AS_SENT = frozenset({b"content-encoding", b"content-length", b"transfer-encoding"})
_BODY_HEADERS = ("Content-Length", "Content-Type", "Transfer-Encoding")


@dataclass(frozen=True)
class Fetched:
    """The last response of an exchange, its body read (decoded, up to the cap), and why the
    exchange failed when it did (then the response, if any, holds what was read)."""

    response: httpx.Response | None
    failure: Outcome | None = None


async def fetch(
    transport: httpx.AsyncBaseTransport, request: httpx.Request, *, max_body: int, deadline: float
) -> Fetched:
    """Send ``request`` and read its answer within ``deadline`` seconds and ``max_body`` bytes."""
    request.headers["Accept-Encoding"] = ACCEPT_ENCODING
    exchange = _Exchange(transport, max_body)
    try:
        async with asyncio.timeout(deadline):
            return await exchange.run(request)
    except TimeoutError:
        return exchange.failed(
            ErrorKind.TIMEOUT, f"no whole answer within the {deadline:g} s deadline"
        )
    except httpx.TimeoutException as exc:
        return exchange.failed(ErrorKind.TIMEOUT, _describe(exc))
    except httpx.HTTPError as exc:
        return exchange.failed(ErrorKind.NETWORK, _describe(exc))


class _Exchange:
    """The state of one exchange, so that a deadline or an error can keep what was read."""

    def __init__(self, transport: httpx.AsyncBaseTransport, max_body: int) -> None:
        self.transport = transport
        self.max_body = max_body
        self.head: httpx.Response | None = None
        self.body: CappedBody | None = None

    async def run(self, request: httpx.Request) -> Fetched:
        for _ in range(MAX_REDIRECTS + 1):
            response = await self.transport.handle_async_request(request)
            try:
                target = _followed(request, response)
                if target is not None:
                    request = _redirected(request, response, target)
                    continue
                self.head = response
                self.body = CappedBody(response.headers.get("Content-Encoding"), self.max_body)
                async for raw in response.aiter_raw():
                    self.body.feed(raw)
                    if self.body.over:
                        break
                self.body.finish()
                if self.body.over:
                    return self.failed(
                        ErrorKind.TOO_LARGE, f"the body passed the cap of {self.max_body} bytes"
                    )
                return Fetched(self._read())
            finally:
                await response.aclose()
        return self.failed(
            ErrorKind.REDIRECT, f"more than {MAX_REDIRECTS} redirects, the last to {request.url}"
        )

    def failed(self, kind: ErrorKind, detail: str) -> Fetched:
        if self.body is not None:
            detail = f"{detail} ({len(self.body.data)} bytes of body read)"
        return Fetched(self._read(), Outcome.failed(kind, detail))

    def _read(self) -> httpx.Response | None:
        """The response as the adapter and the evidence see it: headers, decoded body."""
        if self.head is None:
            return None
        head = self.head
        headers = [
            (name, value) for name, value in head.headers.raw if name.lower() not in _AS_SENT
        ]
        extensions: dict[str, object] = {
            key: head.extensions[key]
            for key in ("http_version", "reason_phrase")
            if key in head.extensions
        }
        return httpx.Response(
            head.status_code,
            headers=headers,
            content=self.body.data if self.body is not None else b"",
            request=head.request,
            extensions=extensions,
        )


def _followed(request: httpx.Request, response: httpx.Response) -> httpx.URL | None:
    """Where a redirect leads, when it is one the runner follows (same host, no downgrade)."""
    if not response.has_redirect_location:
        return None
    try:
        target = request.url.join(response.headers["Location"])
    except httpx.InvalidURL:
        return None
    if target.scheme not in ("http", "https") or target.host != request.url.host:
        return None
    if request.url.scheme == "https" and target.scheme == "http":
        return None
    return target


def _redirected(request: httpx.Request, response: httpx.Response, url: httpx.URL) -> httpx.Request:
    """The next request of a followed redirect: the same headers (never a cookie from the
    platform), the method and body as RFC 9110 section 15.4 says."""
    method = request.method
    status = response.status_code
    if (status == 303 and method != "HEAD") or (status in (301, 302) and method == "POST"):
        method = "GET"
    headers = request.headers.copy()
    headers.pop("Host", None)
    content: bytes | None = request.content
    if method != request.method:
        for name in _BODY_HEADERS:
            headers.pop(name, None)
        content = None
    return httpx.Request(method, url, headers=headers, content=content)


def _describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}".strip().rstrip(":")
