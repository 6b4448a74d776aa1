"""Probes per second of a distributed run with 1, 2 and 4 workers, vs a local run of the plan.

Run on demand: ``python benchmarks/bench_distributed.py [--probes 1000] [--batch-size 50]``.
Starts its own redis-server on a free loopback port, a testbed in its own process, and the
workers as subprocesses (threads pool, ``--worker-concurrency`` batches each); pacing off.
One vantage, so every worker shares one queue. Timing starts after the workers are up.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = free_port()
os.environ["CENSORPROBE_BROKER"] = f"redis://127.0.0.1:{PORT}/0"  # before the app is imported

from runners.distributed.coordinator import dispatch, live_vantages  # noqa: E402
from runners.execution.runner import execute  # noqa: E402
from runners.plan.config import RunConfig  # noqa: E402
from runners.plan.planner import make_plan  # noqa: E402

WORKER = (
    "import sys; from runners.cli.distributed import start_worker; "
    "start_worker(sys.argv[1], concurrency=int(sys.argv[2]))"
)


def write_list(path: Path, count: int) -> None:
    lines = ["list: bench", "description: benchmark", "language: zh-Hans", "terms:"]
    lines += [f"  - {{id: b{i}, text: 基准词{i}, category: bench}}" for i in range(count)]
    lines += ["controls:", "  - {id: weather, text: 天气}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--probes", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--concurrency", type=int, default=8, help="probes in flight per batch")
    parser.add_argument("--worker-concurrency", type=int, default=2, help="batches per worker")
    args = parser.parse_args()
    redis_bin = shutil.which("redis-server")
    assert redis_bin, "redis-server not found"
    redis = subprocess.Popen(
        [redis_bin, "--port", str(PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    server = subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "testbed", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    workers: list[subprocess.Popen[bytes]] = []
    try:
        assert server.stdout is not None
        found = re.search(r"http://\S+", server.stdout.readline())
        assert found, "the testbed did not print its URL"
        url = found.group(0)
        with tempfile.TemporaryDirectory() as folder:
            keyword_list = Path(folder) / "bench.yaml"
            write_list(keyword_list, args.probes)
            config = RunConfig(
                lists=[keyword_list],
                platforms=["testbed"],
                base_urls={"testbed": url},
                rate=0,
                concurrency=args.concurrency * args.worker_concurrency,
                control_every=args.batch_size,
            )
            plan = make_plan(config)
            began = time.perf_counter()
            asyncio.run(execute(plan, Path(folder) / "local"))
            local = time.perf_counter() - began
            print(
                f"probes: {args.probes}, batch size {args.batch_size}, "
                f"{args.concurrency} probes in flight per batch, "
                f"{args.worker_concurrency} batches per worker"
            )
            print(
                f"local run (concurrency {config.concurrency}): {args.probes / local:8.1f} probes/s"
            )
            dplan = make_plan(config.model_copy(update={"concurrency": args.concurrency}))
            for count in (1, 2, 4):
                while len(workers) < count:
                    workers.append(
                        subprocess.Popen(
                            [sys.executable, "-c", WORKER, "bench", str(args.worker_concurrency)],
                            cwd=REPO,
                            env=env,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                        )
                    )
                time.sleep(1.0)
                while not live_vantages(["bench"], timeout=0.5):
                    time.sleep(0.2)
                time.sleep(1.0)  # let every worker register
                began = time.perf_counter()
                result = dispatch(
                    dplan,
                    ["bench"],
                    Path(folder) / f"dist-{count}",
                    batch_size=args.batch_size,
                    deadline=300,
                )
                took = time.perf_counter() - began
                assert result.status == "complete", result
                print(
                    f"distributed, {count} worker(s):           {args.probes / took:8.1f} probes/s"
                    f"   (local / distributed time: {local / took:.2f})"
                )
    finally:
        for process in workers:
            process.terminate()
        for process in workers:
            process.wait(timeout=10)
        server.terminate()
        server.wait()
        redis.terminate()
        redis.wait()


if __name__ == "__main__":
    main()
