"""A pacer shared through Redis by every worker of one vantage point and platform.

GCRA by reservation: each :meth:`RedisPacer.acquire` atomically (one Lua script, Redis's own
clock) books the next free slot of ``1/rate`` seconds, allowing ``burst`` slots at once,
and sleeps until it comes. A Retry-After pause (:meth:`RedisPacer.pause_until`) is stored in
Redis too, so one worker's 429 holds all workers of that vantage and platform.
"""

from __future__ import annotations

import asyncio
import random
import time

import redis
import redis.asyncio as aredis

__all__ = ["RedisPacer"]

# KEYS: tat, pause. ARGV: interval (s), burst. Returns the seconds to wait, as a string.
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local start = now
local pause = tonumber(redis.call('GET', KEYS[2]) or '0')
if pause > start then start = pause end
if interval <= 0 then return tostring(start - now) end
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
if tat < start - (burst - 1) * interval then tat = start - (burst - 1) * interval end
local slot = tat
if slot < start then slot = start end
tat = tat + interval
local ttl = math.ceil((tat - now + 60) * 1000)
redis.call('SET', KEYS[1], tostring(tat), 'PX', ttl)
return tostring(slot - now)
"""

# KEYS: pause. ARGV: seconds from now. Keeps the later of the stored and the new deadline.
_PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local until_ = now + tonumber(ARGV[1])
local stored = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ > stored then
  redis.call('SET', KEYS[1], tostring(until_), 'PX', math.ceil(tonumber(ARGV[1]) * 1000) + 1000)
end
return 1
"""


class RedisPacer:
    """At most ``burst`` requests at once and ``rate`` per second, across processes."""

    def __init__(
        self,
        url: str,
        vantage: str,
        platform: str,
        rate: float,
        burst: int = 1,
        jitter: float = 0.1,
    ) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.jitter = jitter
        prefix = f"censorprobe:pace:{vantage}:{platform}"
        self.keys = [f"{prefix}:tat", f"{prefix}:pause"]
        self._async = aredis.Redis.from_url(url)
        self._sync = redis.Redis.from_url(url)
        self._acquire = self._async.register_script(_ACQUIRE)
        self._pause = self._sync.register_script(_PAUSE)
        self._random = random.Random()

    async def reserve(self) -> float:
        """Book the next free slot (by Redis's clock) and return the seconds until it."""
        interval = 1.0 / self.rate if self.rate > 0 else 0.0
        return float(await self._acquire(keys=self.keys, args=[interval, self.burst]))

    async def acquire(self) -> None:
        interval = 1.0 / self.rate if self.rate > 0 else 0.0
        # A slot is booked for the whole burst-window; jitter is only added after it.
        wait = await self.reserve()
        if wait > 0 and interval > 0:
            wait += self._random.uniform(0, self.jitter * interval)
        if wait > 0:
            await asyncio.sleep(wait)

    def pause_until(self, monotonic_deadline: float) -> None:
        seconds = monotonic_deadline - time.monotonic()
        if seconds > 0:
            self._pause(keys=self.keys[1:], args=[seconds])

    async def aclose(self) -> None:
        await self._async.aclose()
        self._sync.close()
