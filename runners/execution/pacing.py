"""Per-platform pacing: a token bucket with jitter, which Retry-After can pause."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable

__all__ = ["TokenBucket"]


class TokenBucket:
    """At most ``burst`` requests at once and ``rate`` per second on average; rate 0 = unpaced.

    A token bucket kept as its theoretical arrival time (the generic cell rate algorithm):
    each request is given the next slot of a schedule that advances by exactly one interval
    per request, and ``burst - 1`` slots may be taken ahead after an idle spell. Jitter then
    sends each request up to ``jitter`` of the interval after its slot. The schedule never
    waits for the jitter, so it spreads requests without slowing them: the average is the
    rate. No window of one second holds more than ``rate + burst`` requests: the schedule
    keeps to that, and the requests let through are counted too, so that a stalled event
    loop (a busy machine) does not let its overdue requests out in a clump.

    :meth:`pause_until` holds every request (a platform's Retry-After applies to the whole
    platform, not just the probe that got it), those already given a slot included.
    """

    def __init__(
        self,
        rate: float,
        burst: int = 1,
        jitter: float = 0.1,
        seed: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        if not 0 <= jitter < 1:
            raise ValueError(f"jitter {jitter}: a share of the interval, from 0 up to 1")
        self.rate = rate
        self.burst = max(1, burst)
        self.jitter = jitter
        self._clock = clock
        self._sleep = sleep
        self._next = clock()  # the theoretical arrival time of the next request
        self._paused_until = 0.0
        self._random = random.Random(seed)
        #: When the last ``rate + burst`` requests were let through (a one-second window).
        self._sent: deque[float] = deque(maxlen=max(1, math.floor(rate + self.burst)))
        # The window is held a little longer than a second, by less than the schedule's own
        # slack (the shortest jittered gap), so that it never slows the schedule but leaves a
        # margin for the way to the platform, which does not keep the gaps to the microsecond.
        self._window = 1.0 + ((1 - jitter) / rate / 2 if rate > 0 else 0.0)

    def pause_until(self, monotonic_deadline: float) -> None:
        self._paused_until = max(self._paused_until, monotonic_deadline)

    def reserve(self) -> float:
        """Book the next slot: when (on the clock) this request may be sent, jitter included."""
        start = max(self._clock(), self._paused_until)
        if self.rate <= 0:
            return start
        interval = 1.0 / self.rate
        slot = max(start, self._next - (self.burst - 1) * interval)
        self._next = max(self._next, slot) + interval
        return slot + self._random.uniform(0, self.jitter * interval)

    async def acquire(self) -> None:
        """Wait for this request's turn."""
        await self._release(self.reserve())

    async def _release(self, at: float) -> None:
        """Wait until ``at``, a later slot if a pause came in, and room in the window."""
        while True:
            now = self._clock()
            if at < self._paused_until:  # a Retry-After came in: book a slot after it
                at = self.reserve()
            elif self.rate > 0 and len(self._sent) == self._sent.maxlen:
                at = max(at, self._sent[0] + self._window)
            if at <= now:
                break
            await self._sleep(at - now)
        if self.rate > 0:
            self._sent.append(now)
