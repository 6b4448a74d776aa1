"""Benchmark: ``diff`` of two large snapshots against merely parsing both files.

    python benchmarks/bench_diff.py [--observations 1000000] [--history 0] [--dir DIR]

Writes two synthetic snapshots (and ``--history`` earlier ones, read to tell unstable keys;
all kept in DIR, reused when already there), then, each in a fresh process so peak memory is
its own: (1) parse every line of the files the diff reads with the fastest JSON parser
installed (orjson, else json), (2) ``diff_snapshots``. Prints both times, their ratio
(target: diff <= 2x parse) and each process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from synthetic import write_snapshot


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _parse(paths: list[Path]) -> dict[str, object]:
    try:
        import orjson

        loads, parser = orjson.loads, "orjson"
    except ImportError:
        loads, parser = json.loads, "json"
    start = time.perf_counter()
    lines = 0
    for path in paths:
        with path.open("rb") as stream:
            for line in stream:
                loads(line)
                lines += 1
    return {"seconds": time.perf_counter() - start, "lines": lines, "parser": parser}


def _diff(folders: list[Path]) -> dict[str, object]:
    from snapshots.diff import diff_snapshots

    start = time.perf_counter()
    result = diff_snapshots(folders[0], folders[1], history=folders[2:])
    return {
        "seconds": time.perf_counter() - start,
        "counts": result.counts(),
        "compared": result.compared,
    }


def _child(task: str, folders: list[Path]) -> dict[str, object]:
    command = [sys.executable, __file__, "--child", task, *map(str, folders)]
    figures = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
    return dict(figures)


def _prepare(root: Path, observations: int, history: int) -> list[Path]:
    folders = [root / "bench-a", root / "bench-b", *(root / f"bench-h{n}" for n in range(history))]
    marker = root / "observations.txt"
    if marker.exists() and marker.read_text() == f"{observations} {history}":
        print(f"reusing snapshots in {root}")
        return folders
    start = time.perf_counter()
    moved = max(observations // 1000, 1)  # keys only in A, and keys only in B
    write_snapshot(root, "bench-a", range(observations), 1, "2026-11-01T00:00:00.000Z")
    write_snapshot(
        root, "bench-b", range(moved, observations + moved), 2, "2026-11-02T00:00:00.000Z"
    )
    for n in range(history):  # earlier runs, each of another epoch: some keys flip
        write_snapshot(
            root, f"bench-h{n}", range(observations), 3 + n, f"2026-10-{n + 1:02d}T00:00:00.000Z"
        )
    marker.write_text(f"{observations} {history}")
    size = sum((folder / "observations.jsonl").stat().st_size for folder in folders)
    print(
        f"wrote {len(folders)} x {observations:,} observations ({size / 2**30:.2f} GiB) "
        f"in {time.perf_counter() - start:.1f} s"
    )
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--observations", type=int, default=1_000_000)
    parser.add_argument("--history", type=int, default=0, help="Earlier snapshots read too.")
    parser.add_argument("--dir", type=Path, default=None, help="Where to keep the snapshots.")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        task, *folders = args.child
        paths = [Path(folder) for folder in folders]
        if task == "parse":
            figures = _parse([folder / "observations.jsonl" for folder in paths])
        else:
            figures = _diff(paths)
        print(json.dumps({**figures, "peak_mib": _peak_mib()}))
        return
    name = f"censorprobe-bench-diff-{args.observations}-{args.history}"
    root = args.dir or Path(tempfile.gettempdir()) / name
    root.mkdir(parents=True, exist_ok=True)
    folders = _prepare(root, args.observations, args.history)
    parse = _child("parse", folders)
    diff = _child("diff", folders)
    ratio = float(diff["seconds"]) / float(parse["seconds"])  # type: ignore[arg-type]
    print(
        f"parse {len(folders)} files ({parse['parser']}): {parse['seconds']:.2f} s, "
        f"peak RSS {parse['peak_mib']:.0f} MiB"
    )
    print(
        f"diff_snapshots:                {diff['seconds']:.2f} s, "
        f"peak RSS {diff['peak_mib']:.0f} MiB"
    )
    print(f"ratio diff / parse: {ratio:.2f} (target <= 2.00)")
    print(f"compared {diff['compared']:,} keys; changes: {diff['counts']}")


if __name__ == "__main__":
    main()
