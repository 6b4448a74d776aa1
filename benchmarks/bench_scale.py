"""Every figure of the scale issue in one run: memory, validation, evidence, pacing.

    python benchmarks/bench_scale.py [--quick]

Runs, one after the other and each in processes of its own, the benchmarks that own the
figures, and prints each one's table (every figure beside its reference, as a ratio):

- ``bench_keywords.py``: peak RSS of a run's plan at 1k, 100k and 1M terms (reference: 1k;
  bar 100k / 1k ≤ 1.2 ×), and ``keywords check`` of 100k terms against PyYAML's CSafeLoader
  only parsing the file (bar ≤ 1.2 × in time and in RSS);
- ``bench_runner.py``: ``censorprobe run --rate 0`` with WARC evidence against a bare httpx
  loop replaying the same requests (bar ≥ 0.85 ×, aim 0.95);
- ``bench_pacing.py``: the rate the testbed sees at ``--rate`` 1, 5, 20 and 50 (bar ±3 %, never
  above rate + burst in any second).

``--quick`` runs smaller sizes (for a first look; the bars are for the full sizes).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

FULL = {
    "bench_keywords.py": ["--sizes", "1000,100000,1000000", "--check-size", "100000"],
    "bench_runner.py": ["--probes", "10000", "--rounds", "3"],
    "bench_pacing.py": ["--rates", "1,5,20,50", "--seconds", "20"],
}
QUICK = {
    "bench_keywords.py": ["--sizes", "1000,20000", "--check-size", "20000", "--rounds", "1"],
    "bench_runner.py": ["--probes", "2000", "--rounds", "1"],
    "bench_pacing.py": ["--rates", "5,20", "--seconds", "5"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes, one round")
    args = parser.parse_args()
    failed = []
    for script, options in (QUICK if args.quick else FULL).items():
        print(f"\n=== {script} {' '.join(options)}", flush=True)
        started = time.monotonic()
        done = subprocess.run([sys.executable, str(HERE / script), *options], check=False)
        print(f"=== {script}: {time.monotonic() - started:.0f} s, exit {done.returncode}")
        if done.returncode != 0:
            failed.append(script)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
