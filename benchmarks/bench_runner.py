"""Evidence at wire speed: ``censorprobe run --rate 0`` against a bare httpx loop, whole processes.

    python benchmarks/bench_runner.py [--probes 10000] [--concurrency 16] [--rounds 3]

The testbed runs in its own process (``censorprobe testbed``). Each round times three whole
processes, interleaved so that drift hits all alike: ``censorprobe run --rate 0`` with WARC
evidence, the same without evidence, and a bare ``httpx.AsyncClient`` loop (this file with
``--bare``) replaying exactly the requests the run sent (read from the testbed's own log) at
the same concurrency. The figure is the bare loop's wall time over the runner's, a ratio: bar
≥ 0.85, aim 0.95 (issue 16; main measured 0.77 with warcio building every record, then 0.66
with httpx's pool under the prober; the prober now sends over aiohttp, so the run does all
its work, evidence included, in less time than the bare loop only sends). For honesty about
what is left, a bare ``aiohttp`` loop (the wire now under the prober, same URLs and
concurrency) is timed too and printed as a second reference: the runner's ratio to it is what
its own per-probe work costs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BAR, AIM = 0.85, 0.95


def write_list(path: Path, count: int) -> None:
    lines = ["list: bench", "description: benchmark", "language: zh-Hans", "terms:"]
    lines += [f"  - {{id: b{i}, text: 基准词{i}, category: bench}}" for i in range(count)]
    lines += ["controls:", "  - {id: weather, text: 天气}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def replay(urls: list[str], concurrency: int) -> None:
    """What the runner does at its core, and nothing else: GET each URL, read the body."""
    import httpx

    semaphore = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency + 2)
    async with httpx.AsyncClient(limits=limits) as client:

        async def one(url: str) -> None:
            async with semaphore:
                response = await client.get(url)
                response.raise_for_status()

        await asyncio.gather(*(one(url) for url in urls))


async def replay_aiohttp(urls: list[str], concurrency: int) -> None:
    """The same loop over aiohttp, the wire under the prober."""
    import aiohttp

    semaphore = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency + 2)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(url: str) -> None:
            async with semaphore, session.get(url) as response:
                response.raise_for_status()
                await response.read()

        await asyncio.gather(*(one(url) for url in urls))


def testbed_log(base: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{base}/_testbed/log", timeout=60) as answer:
        entries: list[dict[str, object]] = json.load(answer)
        return entries


def timed(command: list[str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=10000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--bare", type=Path, help=argparse.SUPPRESS)  # the replaying process
    parser.add_argument("--wire", default="httpx", help=argparse.SUPPRESS)  # ... and its client
    args = parser.parse_args()
    if args.bare:
        urls = args.bare.read_text(encoding="utf-8").split()
        asyncio.run((replay if args.wire == "httpx" else replay_aiohttp)(urls, args.concurrency))
        return
    server = subprocess.Popen(
        # Without its index every query finds results: no silent signal to confirm, so the
        # run sends exactly one request per probe, as the bare loop does.
        [sys.executable, "-m", "runners.cli", "testbed", "--port", "0", "--no-index"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        found = re.search(r"http://\S+", server.stdout.readline())
        assert found, "the testbed did not print its URL"
        base = found.group(0)
        timings = measure(base, args.probes, args.concurrency, args.rounds)
    finally:
        server.terminate()
        server.wait()
    startup = {
        "censorprobe": [sys.executable, "-m", "runners.cli", "--version"],
        "run": [sys.executable, "-m", "runners.cli", "run", "--help"],
        "bare": [sys.executable, "-c", "import httpx"],
    }
    started = {name: min(timed(command) for _ in range(3)) for name, command in startup.items()}
    print(
        f"probes: {args.probes}, concurrency: {args.concurrency}, rounds: {args.rounds}; "
        "wall time of whole processes, best (least disturbed) and median of the rounds"
    )
    bare = min(timings["bare"]), statistics.median(timings["bare"])
    print(f"bare httpx loop (reference): {bare[0]:6.2f} s / {bare[1]:6.2f} s")
    for name in ("evidence", "no-evidence"):
        took = min(timings[name]), statistics.median(timings[name])
        print(
            f"censorprobe run ({name + '):':13} {took[0]:6.2f} s / {took[1]:6.2f} s"
            f"   ratio {bare[0] / took[0]:.2f} / {bare[1] / took[1]:.2f}"
        )
    wire = min(timings["aiohttp"]), statistics.median(timings["aiohttp"])
    took = min(timings["evidence"]), statistics.median(timings["evidence"])
    print(
        f"bare aiohttp loop (the wire):  {wire[0]:6.2f} s / {wire[1]:6.2f} s"
        f"   run (evidence) at {wire[0] / took[0]:.2f} / {wire[1] / took[1]:.2f} of it"
    )
    own = min(timings["no-evidence"]) / min(timings["evidence"])
    print(f"evidence's own cost: run without evidence / run with it {own:.2f} (1.00 = free)")
    print(
        f"of which starting the process: censorprobe {started['censorprobe']:.2f} s "
        f"(all commands; `run --help` {started['run']:.2f} s), bare loop {started['bare']:.2f} s"
    )
    print(f"bar: ratio with evidence >= {BAR} (aim {AIM})")


def measure(base: str, probes: int, concurrency: int, rounds: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"bare": [], "aiohttp": [], "evidence": [], "no-evidence": []}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        keyword_list = folder / "bench.yaml"
        write_list(keyword_list, probes)
        urls = folder / "urls.txt"
        for round_number in range(rounds):
            for name in ("evidence", "no-evidence"):
                seen = len(testbed_log(base))
                run = [sys.executable, "-m", "runners.cli", "run", str(keyword_list)]
                run += ["-p", "testbed", "--base-url", base, "--rate", "0"]
                run += ["--concurrency", str(concurrency), "--control-every", "1000"]
                run += ["--reask-delay", "0"]
                run += ["--out", str(folder / f"{name}-{round_number}")]
                timings[name].append(timed(run + (["--no-evidence"] if name != "evidence" else [])))
                if not urls.exists():  # the very requests the run sent, in its order
                    sent = testbed_log(base)[seen:]
                    paths = [
                        f"{base}{entry['path']}?q={urllib.request.quote(str(entry['query']))}"
                        for entry in sent
                    ]
                    urls.write_text("\n".join(paths) + "\n", encoding="utf-8")
            for wire, name in (("httpx", "bare"), ("aiohttp", "aiohttp")):
                bare = [sys.executable, __file__, "--bare", str(urls), "--wire", wire]
                timings[name].append(timed([*bare, "--concurrency", str(concurrency)]))
    return timings


if __name__ == "__main__":
    main()
