"""The token bucket, on a fake clock: the rate on average, bursts never exceeded, pauses held.

Deterministic (seeded jitter, no real sleeping). The rate as a platform sees it, through a
real run against the testbed, is measured by ``benchmarks/bench_pacing.py``.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_right

import pytest

from runners.execution.pacing import TokenBucket


class FakeClock:
    """A monotonic clock that sleeping moves forward (one waiter at a time)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.on_sleep: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.on_sleep.append(seconds)
        self.now += seconds


def sends(bucket: TokenBucket, clock: FakeClock, count: int) -> list[float]:
    """When each of ``count`` requests, asked one after the other, was let through."""

    async def main() -> list[float]:
        times = []
        for _ in range(count):
            await bucket.acquire()
            times.append(clock.now)
        return times

    return asyncio.run(main())


def most_in_one_second(times: list[float], span: float = 1.0) -> int:
    return max(bisect_right(times, start + span - 1e-9) - i for i, start in enumerate(times))


@pytest.mark.parametrize("rate", [1, 5, 20, 50])
@pytest.mark.parametrize("jitter", [0.0, 0.1, 0.9])
def test_jitter_spreads_without_slowing(rate: float, jitter: float) -> None:
    clock = FakeClock()
    bucket = TokenBucket(rate, burst=1, jitter=jitter, seed=7, clock=clock, sleep=clock.sleep)
    times = sends(bucket, clock, 400)
    measured = (len(times) - 1) / (times[-1] - times[0])
    assert measured == pytest.approx(rate, rel=0.01)
    assert most_in_one_second(times) <= rate + 1
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(gaps) >= (1 - jitter) / rate - 1e-9
    if jitter:
        assert max(gaps) - min(gaps) > jitter / rate / 2, "jitter must spread the requests"
    else:
        assert max(gaps) == pytest.approx(min(gaps))


@pytest.mark.parametrize("burst", [1, 3, 10])
def test_a_burst_after_idle_is_never_exceeded(burst: int) -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, burst=burst, jitter=0.5, seed=1, clock=clock, sleep=clock.sleep)
    times: list[float] = []
    for _ in range(4):  # busy, then idle for a long while, again and again
        times += sends(bucket, clock, 60)
        clock.now += 30.0
    assert most_in_one_second(times) <= 10 + burst
    # A full bucket lets a burst through without waiting for the schedule: one after the
    # other, each request here waits for nothing but its own jitter.
    first = times[:burst]
    assert first[-1] - first[0] <= (burst - 1) * 0.5 / 10 + 1e-9


def test_concurrent_requests_book_consecutive_slots() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4, burst=2, jitter=0.0, clock=clock, sleep=clock.sleep)
    booked = [bucket.reserve() - clock.now for _ in range(6)]
    assert booked == pytest.approx([0, 0, 0.25, 0.5, 0.75, 1.0])
    clock.now += 10  # idle: the bucket fills up to its burst, no further
    assert [bucket.reserve() - clock.now for _ in range(3)] == pytest.approx([0, 0, 0.25])


def test_jittered_slots_keep_the_schedule() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, burst=1, jitter=0.5, seed=3, clock=clock, sleep=clock.sleep)
    booked = [bucket.reserve() - clock.now for _ in range(200)]
    for number, at in enumerate(booked):
        assert number * 0.5 <= at < number * 0.5 + 0.25


def test_a_pause_holds_requests_already_booked() -> None:
    clock = FakeClock()
    bucket = TokenBucket(10, burst=1, jitter=0.0, clock=clock, sleep=clock.sleep)
    bucket.reserve()  # the slot now is taken: the next request waits
    deadline = clock.now + 5.0

    async def sleep(seconds: float) -> None:  # a 429 with Retry-After 5 comes in meanwhile
        await clock.sleep(seconds)
        bucket.pause_until(deadline)

    bucket._sleep = sleep
    asyncio.run(bucket.acquire())
    assert clock.now >= deadline
    assert clock.now == pytest.approx(deadline)


def test_unpaced_only_waits_for_a_pause() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0, clock=clock, sleep=clock.sleep)
    assert sends(bucket, clock, 100) == [clock.now] * 100
    bucket.pause_until(clock.now + 3)
    asyncio.run(bucket.acquire())
    assert clock.on_sleep == [pytest.approx(3)]


def test_jitter_is_a_share_of_the_interval() -> None:
    with pytest.raises(ValueError, match="jitter"):
        TokenBucket(1, jitter=1.0)


def test_real_clock_paces_concurrent_tasks() -> None:
    """The real event loop, several tasks at once (bounded; only a lower bound is timed)."""

    async def main() -> float:
        bucket = TokenBucket(200, burst=1, jitter=0.1)
        began = asyncio.get_running_loop().time()
        await asyncio.gather(*(bucket.acquire() for _ in range(41)))
        return asyncio.get_running_loop().time() - began

    assert asyncio.run(main()) >= 40 / 200 * 0.95


def test_overdue_requests_do_not_clump_after_a_stall() -> None:
    """Requests whose slots passed while the event loop was stalled still keep to the window."""
    clock = FakeClock()
    bucket = TokenBucket(20, burst=1, jitter=0.1, seed=5, clock=clock, sleep=clock.sleep)
    times = sends(bucket, clock, 50)
    booked = [bucket.reserve() for _ in range(40)]  # 40 tasks waiting for their slots...
    clock.now += 1.5  # ...while the loop stalls for 1.5 s: 30 of those slots go by

    async def overdue() -> list[float]:
        let_through = []
        for at in booked:  # each waiter wakes up in turn and asks the window
            await bucket._release(at)
            let_through.append(clock.now)
        return let_through

    times += asyncio.run(overdue())
    # Held to a window a little longer than a second: a margin for the way to the platform.
    assert most_in_one_second(times, span=1.0 + 0.9 / 20 / 2) <= 21
