"""Which dispatch of a run is the live one, so that the batches a dead coordinator queued are
dropped rather than probed twice.

A coordinator killed outright leaves its batches in the queues, and the coordinator that
resumes the run sends the keys still missing again. Each dispatch therefore takes a new
generation, kept in Redis (the broker) under the run id, and tags its batches with it; a worker
drops a batch whose generation is no longer the run's without sending a request. With a broker
other than Redis there are no generations and nothing is dropped (the waste is back, nothing is
lost).
"""

from __future__ import annotations

from contextlib import closing
from uuid import uuid4

import redis

__all__ = ["is_current", "start_generation"]

_KEY = "censorprobe:generation:{run_id}"
_KEEP_SECONDS = 30 * 24 * 3600


def _uses_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://", "unix://"))


def start_generation(url: str, run_id: str) -> str | None:
    """Make a new generation the run's live one and return it (None without Redis)."""
    if not _uses_redis(url):
        return None
    generation = uuid4().hex
    with closing(redis.Redis.from_url(url)) as client:
        client.set(_KEY.format(run_id=run_id), generation, ex=_KEEP_SECONDS)
    return generation


def is_current(url: str, run_id: str, generation: str | None) -> bool:
    """Whether a batch of ``generation`` still belongs to the live dispatch of ``run_id``."""
    if generation is None or not _uses_redis(url):
        return True
    with closing(redis.Redis.from_url(url, decode_responses=True)) as client:
        live = client.get(_KEY.format(run_id=run_id))
    return live is None or live == generation
