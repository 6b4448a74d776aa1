"""Benchmark: ``timeline`` over many snapshots (default 1,000 runs x 1,000 keys).

    python benchmarks/bench_timeline.py [--snapshots 1000] [--keys 1000] [--dir DIR]

Writes the synthetic snapshots (kept in DIR, reused when already there; about 2 % of the keys
change state every run), then times, each in a fresh process so peak memory is its own, a
full pass over ``timeline()`` without and with the per-run points. Prints seconds, peak RSS
and a sample of what came out.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from synthetic import write_snapshot


def _child(root: Path, with_points: bool) -> dict[str, object]:
    from snapshots.timeline import timeline

    start = time.perf_counter()
    keys = points = flips = 0
    for entry in timeline(root, with_points=with_points):
        keys += 1
        points += len(entry.points)
        flips += entry.flips
    return {
        "seconds": time.perf_counter() - start,
        "keys": keys,
        "points": points,
        "flips": flips,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _prepare(root: Path, snapshots: int, keys: int) -> None:
    marker = root / "shape.txt"
    shape = f"{snapshots}x{keys}"
    if marker.exists() and marker.read_text() == shape:
        print(f"reusing snapshots in {root}")
        return
    start = time.perf_counter()
    first = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(snapshots):
        moment = first + timedelta(hours=6 * number)
        stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        write_snapshot(root, f"run-{number:05d}", range(keys), number, stamp)
    marker.write_text(shape)
    size = sum(path.stat().st_size for path in root.glob("*/observations.jsonl"))
    print(
        f"wrote {snapshots:,} snapshots x {keys:,} keys ({size / 2**30:.2f} GiB) "
        f"in {time.perf_counter() - start:.1f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=1000)
    parser.add_argument("--keys", type=int, default=1000)
    parser.add_argument("--dir", type=Path, default=None, help="Where to keep the snapshots.")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(Path(args.child[0]), args.child[1] == "points")))
        return
    default = f"censorprobe-bench-timeline-{args.snapshots}x{args.keys}"
    root = args.dir or Path(tempfile.gettempdir()) / default
    root.mkdir(parents=True, exist_ok=True)
    _prepare(root, args.snapshots, args.keys)
    for mode in ("summary", "points"):
        command = [sys.executable, __file__, "--child", str(root), mode]
        figures = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
        print(
            f"timeline ({mode:7}): {figures['seconds']:.2f} s, peak RSS "
            f"{figures['peak_mib']:.0f} MiB; {figures['keys']:,} keys, "
            f"{figures['points']:,} points returned, {figures['flips']:,} flips"
        )


if __name__ == "__main__":
    main()
