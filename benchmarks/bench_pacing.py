"""Pacing on the dot: the rate a platform sees from ``censorprobe run --rate R --burst B``.

    python benchmarks/bench_pacing.py [--rates 1,5,20,50] [--burst 1] [--seconds 20]

For each rate, a real run against the testbed (its own process, ``censorprobe testbed``)
sends about ``rate × seconds`` requests; the figures come from the testbed's own request
log (``GET /_testbed/log``): the average rate, ``(n - 1) / (last - first)``, against the
configured rate as a ratio (bar: within ±3 %, issue 16; main measured 18.73/s at 20/s, −6.4 %,
jitter added to every wait), and the most requests in any window of one second against
``rate + burst`` (bar: never above).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import urllib.request
from bisect import bisect_right
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TOLERANCE = 0.03


def write_list(path: Path, count: int) -> None:
    lines = ["list: pacing", "description: benchmark", "language: zh-Hans", "terms:"]
    lines += [f"  - {{id: p{i}, text: 节奏{i}, category: bench}}" for i in range(count)]
    lines += ["controls:", "  - {id: weather, text: 天气}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def testbed_log(base: str) -> list[dict[str, object]]:
    with urllib.request.urlopen(f"{base}/_testbed/log", timeout=60) as answer:
        entries: list[dict[str, object]] = json.load(answer)
        return entries


def most_in_one_second(times: list[float]) -> int:
    return max(bisect_right(times, start + 1.0) - i for i, start in enumerate(times))


def measure(base: str, folder: Path, rate: float, burst: int, seconds: float) -> list[float]:
    """The times at which the testbed saw the requests of one paced run."""
    keyword_list = folder / f"pacing-{rate}.yaml"
    write_list(keyword_list, max(10, round(rate * seconds)))
    seen = len(testbed_log(base))
    command = [sys.executable, "-m", "runners.cli", "run", str(keyword_list), "-p", "testbed"]
    command += ["--base-url", base, "--rate", str(rate), "--burst", str(burst)]
    command += ["--concurrency", "8", "--reask-delay", "0", "--out", str(folder / f"r{rate}")]
    subprocess.run(command, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
    return sorted(float(str(entry["t"])) for entry in testbed_log(base)[seen:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rates", default="1,5,20,50")
    parser.add_argument("--burst", type=int, default=1)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    rates = [float(rate) for rate in args.rates.split(",")]
    server = subprocess.Popen(
        # Without its index every query finds results: no confirmation requests.
        [sys.executable, "-m", "runners.cli", "testbed", "--port", "0", "--no-index"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    rows = []
    try:
        assert server.stdout is not None
        found = re.search(r"http://\S+", server.stdout.readline())
        assert found, "the testbed did not print its URL"
        with tempfile.TemporaryDirectory() as tmp:
            for rate in rates:
                times = measure(found.group(0), Path(tmp), rate, args.burst, args.seconds)
                rows.append((rate, times))
    finally:
        server.terminate()
        server.wait()
    print(f"burst {args.burst}, about {args.seconds:g} s a rate; seen by the testbed's own log")
    print("rate/s  requests  measured/s  ratio   most in 1 s  (rate + burst)  within bars")
    for rate, times in rows:
        measured = (len(times) - 1) / (times[-1] - times[0])
        ratio = measured / rate
        most = most_in_one_second(times)
        ok = abs(ratio - 1) <= TOLERANCE and most <= rate + args.burst
        print(
            f"{rate:6g}  {len(times):8d}  {measured:10.2f}  {ratio:5.3f}   {most:11d}"
            f"  ({rate + args.burst:g}){'':9}{'yes' if ok else 'NO'}"
        )
    print(f"bars: ratio within 1 ± {TOLERANCE}, most in any 1 s window <= rate + burst")


if __name__ == "__main__":
    main()
