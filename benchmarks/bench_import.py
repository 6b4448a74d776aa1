"""Benchmark: what the researcher's commands pay at start-up, before any work.

    python benchmarks/bench_import.py [--repeat 5]

Times, each in a fresh interpreter (best of ``--repeat``): ``import snapshots.store``,
``import snapshots.diff``, the whole CLI module and ``censorprobe diff --help`` (the console
script), against a bare ``python -c pass``. Prints the seconds and, for each, the ratio to the
reference measured on main before the rooms were split (issue 13: 0.5–0.7 s for
``import snapshots.store``, 0.14 s without the HTTP stack).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

#: Issue 13's figure for ``import snapshots.store`` before the split (low end of 0.5–0.7 s).
STORE_BEFORE_SECONDS = 0.5

CASES = {
    "python -c pass": [sys.executable, "-c", "pass"],
    "import snapshots.store": [sys.executable, "-c", "import snapshots.store"],
    "import snapshots.diff": [sys.executable, "-c", "import snapshots.diff"],
    "import runners.cli": [sys.executable, "-c", "import runners.cli"],
}


def _best(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    cases = dict(CASES)
    script = shutil.which("censorprobe")
    if script:
        cases["censorprobe diff --help"] = [script, "diff", "--help"]
    bare = _best(cases.pop("python -c pass"), args.repeat)
    print(f"{'what':<28}{'seconds':>9}{'over bare':>11}{'vs store before':>17}")
    print(f"{'python -c pass':<28}{bare:>9.3f}{'':>11}{'':>17}")
    for name, command in cases.items():
        seconds = _best(command, args.repeat)
        ratio = seconds / STORE_BEFORE_SECONDS
        print(f"{name:<28}{seconds:>9.3f}{seconds - bare:>+11.3f}{ratio:>16.2f}x")


if __name__ == "__main__":
    main()
