"""Per-platform pacing: a token bucket with jitter, which Retry-After can pause."""

from __future__ import annotations

import asyncio
import random
import time

__all__ = ["TokenBucket"]


class TokenBucket:
    """At most ``burst`` requests at once and ``rate`` per second on average; rate 0 = unpaced.

    Each wait for a token is stretched by up to ``jitter`` of the interval, so requests do
    not tick like a metronome. :meth:`pause_until` holds every request (a platform's
    Retry-After applies to the whole platform, not just the probe that got it).
    """

    def __init__(
        self, rate: float, burst: int = 1, jitter: float = 0.1, seed: int | None = None
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.jitter = jitter
        self._tokens = float(self.burst)
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()
        self._random = random.Random(seed)

    def pause_until(self, monotonic_deadline: float) -> None:
        self._paused_until = max(self._paused_until, monotonic_deadline)

    async def acquire(self) -> None:
        async with self._lock:
            pause = self._paused_until - time.monotonic()
            if pause > 0:
                await asyncio.sleep(pause)
            if self.rate <= 0:
                return
            now = time.monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens < 1:
                wait = (1 - self._tokens) / self.rate
                wait += self._random.uniform(0, self.jitter / self.rate)
                await asyncio.sleep(wait)
                now = time.monotonic()
                self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
            self._tokens -= 1
