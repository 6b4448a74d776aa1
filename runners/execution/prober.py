"""One place that owns HTTP: send a query to a platform, paced and retried, and classify it.

A :class:`Prober` holds a platform's HTTP transport
(:class:`~runners.execution.transport.AiohttpTransport`) and its pacer. Runs, trigger
isolation and distributed workers all probe through it, so pacing, retries, Retry-After
and redaction behave the same everywhere. Each attempt is one bounded exchange
(:func:`runners.execution.fetch.fetch`: a body cap, a deadline, same-host redirects, no
cookies); what its answer means, status included, is the adapter's to say
(:meth:`probes.contract.Adapter.classify`). A Retry-After longer than ``max_retry_after`` ends
the probe at once and never pauses the platform.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from types import TracebackType
from typing import Protocol

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_result,
    stop_after_attempt,
    wait_exponential,
)

from probes.contract import Adapter, Query
from probes.outcome import ErrorKind, Outcome
from runners.execution.fetch import fetch
from runners.execution.pacing import TokenBucket
from runners.execution.transport import AiohttpTransport
from runners.plan.config import RunConfig
from snapshots.evidence import Exchange, Redactor

__all__ = ["Attempted", "Pacer", "Prober"]


#: A URL (absolute, or a path with a query) quoted in an error's detail.
_URL_IN_TEXT = re.compile(r"(?:[a-z][a-z0-9+.-]*://|/)[^\s\"'<>]*")


class Pacer(Protocol):
    """What pacing must offer: wait for a turn, and hold every turn until a deadline."""

    async def acquire(self) -> None: ...

    def pause_until(self, monotonic_deadline: float) -> None: ...


@dataclass(frozen=True)
class Attempted:
    """What the last attempt of a probe produced."""

    outcome: Outcome
    exchange: Exchange | None
    method: str
    url: str
    status: int | None
    attempts: int = 1


def run_pacing(adapter: Adapter, config: RunConfig) -> tuple[float, int]:
    """The rate and burst a run paces ``adapter`` at: the run's own, else the adapter's."""
    pacing = adapter.pacing
    return (
        pacing.rate if config.rate is None else config.rate,
        pacing.burst if config.burst is None else config.burst,
    )


def default_pacer(
    adapter: Adapter,
    config: RunConfig,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> TokenBucket:
    return TokenBucket(*run_pacing(adapter, config), sleep=sleep)


class _Stopped(Exception):
    """The run stopped during a wait; ``request``: the attempt the pacer's wait kept back."""

    def __init__(self, request: httpx.Request | None = None) -> None:
        super().__init__()
        self.request = request


def _last_answer(state: RetryCallState) -> Attempted:
    """Attempts ran out on an answer worth retrying: it is the probe's answer."""
    assert state.outcome is not None
    answer: Attempted = state.outcome.result()
    return answer


class Prober:
    """Sends queries to one platform. Use as ``async with Prober(...) as prober``."""

    def __init__(
        self,
        adapter: Adapter,
        config: RunConfig,
        *,
        keep_exchanges: bool | None = None,
        pacer: Pacer | None = None,
        stop: asyncio.Event | None = None,
    ) -> None:
        self.adapter = adapter
        self.config = config
        self.redactor = Redactor().with_params(config.redact_params).with_headers(config.headers)
        self.keep_exchanges = config.evidence if keep_exchanges is None else keep_exchanges
        self.stop = stop or asyncio.Event()
        # The prober's own pacer waits as the prober does: not past the run's stop.
        self.pacer: Pacer = pacer or default_pacer(adapter, config, self._sleep)
        self.headers = {"User-Agent": config.user_agent, **config.headers}
        self._exponential = wait_exponential(multiplier=config.backoff, max=60)
        self._transport: AiohttpTransport | None = None

    async def __aenter__(self) -> Prober:
        self._transport = AiohttpTransport(
            max_connections=self.config.concurrency + 2, proxy=self.config.proxy
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._transport is not None:
            await self._transport.aclose()

    async def probe(self, query: Query) -> Attempted:
        """Send until an answer worth keeping or attempts run out; never raises for the platform.

        When the run stops, every wait ends at once (a back-off, a turn of the prober's own
        pacer, a platform's Retry-After): the probe ends with the answer it has, cut short with
        attempts left, or with ``attempts`` 0 if nothing was sent yet.
        """
        last: Attempted | None = None
        sent = 0

        async def attempt() -> Attempted:
            nonlocal last, sent
            last = await self._once(query)
            sent += 1
            return last

        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_attempts),
            retry=retry_if_result(self._worth_retrying),
            wait=self._backoff,
            sleep=self._sleep,
            retry_error_callback=_last_answer,
        )
        try:
            answer: Attempted = await retrying(attempt)
        except _Stopped as stopped:
            if last is None:
                assert stopped.request is not None
                return self._not_sent(stopped.request)
            answer = last
        return replace(answer, attempts=sent)

    def _worth_retrying(self, result: Attempted) -> bool:
        if self.stop.is_set() or not result.outcome.retryable:
            return False
        retry_after = result.outcome.retry_after
        return retry_after is None or retry_after <= self.config.max_retry_after

    def _backoff(self, state: RetryCallState) -> float:
        """How long to wait after an attempt before the next: ``--backoff`` doubled each time
        (at most a minute), or nothing after a Retry-After, which pauses the pacer instead."""
        assert state.outcome is not None
        if state.outcome.result().outcome.retry_after is not None:
            return 0.0
        return float(self._exponential(state))

    async def _sleep(self, seconds: float) -> None:
        """Sleep (back-off, the pacer's waits); raise :class:`_Stopped` once the run stops."""
        if self.stop.is_set():
            raise _Stopped
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.stop.wait(), seconds)
        if self.stop.is_set():
            raise _Stopped

    def _not_sent(self, request: httpx.Request) -> Attempted:
        outcome = Outcome.failed(ErrorKind.NETWORK, "not sent: the run stopped while it waited")
        url = self.redactor.url(str(request.url))
        return Attempted(outcome, None, request.method, url, None, attempts=0)

    async def _once(self, query: Query) -> Attempted:
        assert self._transport is not None, "use the prober as an async context manager"
        request = self.adapter.request(query)
        # The run's headers (User-Agent, vantage headers) go under the adapter's own.
        for name, value in self.headers.items():
            request.headers.setdefault(name, value)
        try:
            await self.pacer.acquire()
        except _Stopped:
            raise _Stopped(request) from None
        fetched = await fetch(
            self._transport,
            request,
            max_body=self.config.max_body_bytes,
            deadline=self.config.timeout,
        )
        response = fetched.response
        if fetched.failure is not None:
            outcome = fetched.failure
        else:
            assert response is not None
            outcome = self._paced(self.adapter.classify(query, response))
        exchange = (
            Exchange.capture(response, self.redactor)
            if self.keep_exchanges and response is not None
            else None
        )
        sent = request if response is None else response.request
        status = None if response is None else response.status_code
        return Attempted(
            self._scrubbed(outcome),
            exchange,
            sent.method,
            self.redactor.url(str(sent.url)),
            status,
        )

    def _scrubbed(self, outcome: Outcome) -> Outcome:
        """The outcome with every URL its detail quotes (a redirect's target) redacted."""
        if not outcome.detail or "://" not in outcome.detail and "?" not in outcome.detail:
            return outcome
        detail = _URL_IN_TEXT.sub(lambda found: self.redactor.url(found.group(0)), outcome.detail)
        return outcome if detail == outcome.detail else replace(outcome, detail=detail)

    def _paced(self, outcome: Outcome) -> Outcome:
        """Pause the platform for the Retry-After an answer carries, if it is not too long."""
        wait = outcome.retry_after
        if wait is None:
            return outcome
        longest = self.config.max_retry_after
        if wait <= longest:
            self.pacer.pause_until(time.monotonic() + wait)
            return outcome
        return replace(
            outcome,
            detail=f"{outcome.detail}; a Retry-After of {wait:g} s is more than the {longest:g} s "
            "the run waits, so the probe ends here",
        )
