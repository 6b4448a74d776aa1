"""The worker's task: probe one batch on one platform from this vantage point.

A batch carries its own controls: the worker probes them, then the batch's probes, then the
controls again, and judges every probe with :func:`runners.execution.controls.judge` against those two
checks — the same rule as a local run, with the batch as the window. It returns everything
the coordinator needs to write the snapshot exactly as a local run would: per probe the
final outcome, attempts, timings, the request line and the redacted exchange (body in
base64). It never raises for what a platform does.
"""

from __future__ import annotations

import asyncio
import base64
import os
import time
from pathlib import Path
from typing import Any

from probes.contract import Adapter, Query
from probes.registry import get_adapter
from runners.distributed.app import app, broker_url
from runners.distributed.generation import is_current
from runners.execution.controls import CheckResult, judge
from runners.execution.prober import Attempted, Prober, default_pacer
from runners.plan.config import RunConfig, read_headers
from snapshots.evidence import Exchange
from snapshots.format import utc_now

__all__ = ["VANTAGE_HEADER", "probe_batch", "run_batch"]

VANTAGE_HEADER = "X-Censorprobe-Vantage"
#: Set by ``censorprobe worker --proxy``: the proxy of this worker's vantage point.
PROXY_ENV = "CENSORPROBE_WORKER_PROXY"
#: Set by ``censorprobe worker --headers``: the headers file of this worker's vantage point,
#: read for each batch, so that a renewed session cookie takes effect without a restart.
HEADERS_ENV = "CENSORPROBE_WORKER_HEADERS"


def exchange_to_json(exchange: Exchange | None) -> dict[str, Any] | None:
    if exchange is None:
        return None
    return {
        "method": exchange.method,
        "url": exchange.url,
        "request_headers": [list(pair) for pair in exchange.request_headers],
        "status": exchange.status,
        "reason": exchange.reason,
        "http_version": exchange.http_version,
        "response_headers": [list(pair) for pair in exchange.response_headers],
        "body": base64.b64encode(exchange.body).decode("ascii"),
    }


def exchange_from_json(data: dict[str, Any] | None) -> Exchange | None:
    if data is None:
        return None
    return Exchange(
        method=data["method"],
        url=data["url"],
        request_headers=[(name, value) for name, value in data["request_headers"]],
        status=data["status"],
        reason=data["reason"],
        http_version=data["http_version"],
        response_headers=[(name, value) for name, value in data["response_headers"]],
        body=base64.b64decode(data["body"]),
    )


def worker_config(config: dict[str, Any], vantage: str) -> RunConfig:
    """The run's config as this worker applies it: its vantage label, headers and proxy."""
    settings = dict(config)
    settings["vantage"] = vantage
    headers_file = os.environ.get(HEADERS_ENV)
    own = read_headers(Path(headers_file)) if headers_file else {}
    settings["headers"] = {**own, VANTAGE_HEADER: vantage}
    settings["proxy"] = os.environ.get(PROXY_ENV) or None
    return RunConfig.model_validate(settings)


def _pacer(adapter: Adapter, config: RunConfig, platform: str) -> Any:
    pacer = default_pacer(adapter, config)
    if pacer.rate <= 0:
        return pacer  # unpaced (loopback): no need to ask Redis
    from runners.distributed.ratelimit import RedisPacer

    return RedisPacer(broker_url(), config.vantage, platform, pacer.rate, pacer.burst)


async def run_batch(
    platform: str, config: RunConfig, probes: list[dict[str, Any]], controls: list[dict[str, Any]]
) -> dict[str, Any]:
    """Opening controls, the probes, closing controls; every probe judged by those checks."""
    adapter = get_adapter(platform)(base_url=config.base_urls.get(platform))
    pacer = _pacer(adapter, config, platform)
    try:
        async with Prober(adapter, config, pacer=pacer) as prober:
            semaphore = asyncio.Semaphore(config.concurrency)

            async def timed(item: dict[str, Any]) -> tuple[Attempted, str, int]:
                async with semaphore:
                    started_at, begun = utc_now(), time.monotonic()
                    result = await prober.probe(Query.of(item["parts"], adapter.separator))
                    return result, started_at, int((time.monotonic() - begun) * 1000)

            async def check(items: list[dict[str, Any]]) -> list[tuple[Attempted, str, int]]:
                return list(await asyncio.gather(*(timed(item) for item in items)))

            opening = await check(controls)
            opening_check = CheckResult(1, tuple(result.outcome for result, *_ in opening))
            unreachable = opening_check.unanswered
            answers = [] if unreachable else await check(probes)
            closing = [] if unreachable else await check(controls)
    finally:
        if hasattr(pacer, "aclose"):
            await pacer.aclose()
    closing_check = CheckResult(2, tuple(result.outcome for result, *_ in closing))

    def rows(items: list[dict[str, Any]], answered: list[tuple[Attempted, str, int]], judged: bool):
        out = []
        for item, (result, started_at, elapsed) in zip(items, answered, strict=True):
            outcome = (
                judge(result.outcome, opening_check, closing_check) if judged else result.outcome
            )
            out.append(
                {
                    "key": item["key"],
                    "outcome": outcome.to_json(),
                    "attempts": result.attempts,
                    "started_at": started_at,
                    "elapsed_ms": elapsed,
                    "request": {
                        "method": result.method,
                        "url": result.url,
                        "status": result.status,
                    },
                    "exchange": exchange_to_json(result.exchange) if config.evidence else None,
                }
            )
        return out

    body = {
        "vantage": config.vantage,
        "platform": platform,
        "adapter_version": adapter.version,
        "opening": rows(controls, opening, False),
        "probes": [] if unreachable else rows(probes, answers, True),
        "closing": [] if unreachable else rows(controls, closing, False),
    }
    if unreachable:
        body["no_answer"] = f"{opening_check.reason}: no answer from {adapter.base_url}"
    return body


@app.task(name="censorprobe.probe_batch")
def probe_batch(
    run_id: str,
    platform: str,
    config: dict[str, Any],
    vantage: str,
    probes: list[dict[str, Any]],
    controls: list[dict[str, Any]],
    generation: str | None = None,
) -> dict[str, Any]:
    """Probe a batch (plain dicts: ``key`` and ``parts``) and return its observations' parts.

    A batch of a dispatch that has since been replaced (see :mod:`.generation`) is dropped
    unprobed: ``{"run_id": ..., "stale": true}``.
    """
    if not is_current(broker_url(), run_id, generation):
        return {"run_id": run_id, "stale": True}
    result = asyncio.run(run_batch(platform, worker_config(config, vantage), probes, controls))
    result["run_id"] = run_id
    return result
