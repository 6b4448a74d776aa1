"""Probes per second of the runner at --rate 0 against the testbed, vs a bare httpx loop.

Run on demand: ``python benchmarks/bench_runner.py [--probes 3000] [--concurrency 16]``.
The testbed runs in its own process (as `censorprobe testbed`) so it does not share this
process's interpreter with the clients being measured. Target: runner ≥ 0.85 × bare loop.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from runners.execution.runner import execute  # noqa: E402
from runners.plan.config import RunConfig  # noqa: E402
from runners.plan.planner import make_plan  # noqa: E402


def write_list(path: Path, count: int) -> list[str]:
    texts = [f"基准词{i}" for i in range(count)]
    lines = ["list: bench", "description: benchmark", "language: zh-Hans", "terms:"]
    lines += [f"  - {{id: b{i}, text: {text}, category: bench}}" for i, text in enumerate(texts)]
    lines += ["controls:", "  - {id: weather, text: 天气}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return texts


async def bare_loop(url: str, texts: list[str], concurrency: int) -> float:
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency + 2)) as client:

        async def one(text: str) -> None:
            async with semaphore:
                response = await client.get(f"{url}/search", params={"q": text})
                response.raise_for_status()

        began = time.perf_counter()
        await asyncio.gather(*(one(text) for text in texts))
        return time.perf_counter() - began


async def runner(
    url: str, keyword_list: Path, results: Path, concurrency: int, evidence: bool
) -> float:
    config = RunConfig(
        lists=[keyword_list],
        platforms=["testbed"],
        base_urls={"testbed": url},
        rate=0,
        concurrency=concurrency,
        control_every=1000,
        evidence=evidence,
    )
    plan = make_plan(config)
    began = time.perf_counter()
    await execute(plan, results)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "testbed", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = re.search(r"http://\S+", server.stdout.readline())
        assert url, "the testbed did not print its URL"
        with tempfile.TemporaryDirectory() as folder:
            keyword_list = Path(folder) / "bench.yaml"
            texts = write_list(keyword_list, args.probes)
            base = url.group(0)
            asyncio.run(bare_loop(base, texts[:200], args.concurrency))  # warm up
            timings: dict[str, list[float]] = {"bare": [], "evidence": [], "no-evidence": []}
            for round_number in range(args.rounds):  # interleaved, so drift hits all alike
                timings["bare"].append(asyncio.run(bare_loop(base, texts, args.concurrency)))
                for name, evidence in (("evidence", True), ("no-evidence", False)):
                    results = Path(folder) / f"{name}-{round_number}"
                    timings[name].append(
                        asyncio.run(runner(base, keyword_list, results, args.concurrency, evidence))
                    )
    finally:
        server.terminate()
        server.wait()
    n = args.probes
    bare = statistics.median(timings["bare"])
    print(f"probes: {n}, concurrency: {args.concurrency}, rounds: {args.rounds} (medians)")
    print(f"bare httpx loop:         {n / bare:8.1f} requests/s")
    for name in ("evidence", "no-evidence"):
        took = statistics.median(timings[name])
        print(f"runner ({name + '):':13} {n / took:8.1f} probes/s   ratio {bare / took:.2f}")
    print("target: ratio >= 0.85 (the runner also classifies, judges and writes every probe)")


if __name__ == "__main__":
    main()
