"""Benchmark: ``export`` in every format (default 10 runs x 100,000 keys = 1,000,000 rows).

    python benchmarks/bench_export.py [--snapshots 10] [--keys 100000] [--dir DIR]

Writes synthetic snapshots (kept in DIR, reused when already there), then times each format
in a fresh process so peak memory is its own: Parquet, CSV (cells neutralised), SQLite (with
its indexes) and OONI JSONL. The reference is DuckDB copying the same JSONL files to Parquet
with no columns chosen (``COPY (SELECT * FROM read_ndjson(...))``): each export prints its
seconds, rows per second, peak RSS and its time as a ratio to that reference.
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

FORMATS = ("reference", "parquet", "csv", "sqlite", "ooni")


def _child(root: Path, fmt: str, out: Path) -> dict[str, float]:
    from snapshots.export import export_observations
    from snapshots.ooni import export_ooni
    from snapshots.sqlite import export_sqlite
    from snapshots.store import find_snapshots

    snapshots = find_snapshots(root)
    start = time.perf_counter()
    if fmt == "reference":
        import duckdb

        files = [str(s.observations) for s in snapshots]
        sql = f"COPY (SELECT * FROM read_ndjson($files)) TO '{out}' (FORMAT parquet)"
        [(rows,)] = duckdb.connect().execute(sql, {"files": files}).fetchall()
    elif fmt == "sqlite":
        rows = export_sqlite(snapshots, out)["observations"]
    elif fmt == "ooni":
        rows = export_ooni(snapshots, out)
    else:
        rows = export_observations(snapshots, out, fmt)
    return {
        "seconds": time.perf_counter() - start,
        "rows": rows,
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "mib": out.stat().st_size / 2**20,
    }


def _prepare(root: Path, snapshots: int, keys: int) -> None:
    marker = root / "shape.txt"
    shape = f"{snapshots}x{keys}"
    if marker.exists() and marker.read_text() == shape:
        print(f"reusing snapshots in {root}")
        return
    first = datetime(2024, 1, 1, tzinfo=UTC)
    for number in range(snapshots):
        stamp = (first + timedelta(hours=6 * number)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        write_snapshot(root, f"run-{number:05d}", range(keys), number, stamp)
    marker.write_text(shape)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--snapshots", type=int, default=10)
    parser.add_argument("--keys", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="Where to keep the snapshots.")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        root, fmt, out = args.child
        print(json.dumps(_child(Path(root), fmt, Path(out))))
        return
    default = f"censorprobe-bench-export-{args.snapshots}x{args.keys}"
    root = args.dir or Path(tempfile.gettempdir()) / default
    (root / "results").mkdir(parents=True, exist_ok=True)
    _prepare(root / "results", args.snapshots, args.keys)
    reference = 0.0
    for fmt in FORMATS:
        out = root / f"out.{fmt}"
        out.unlink(missing_ok=True)
        command = [sys.executable, __file__, "--child", str(root / "results"), fmt, str(out)]
        figures = json.loads(subprocess.run(command, check=True, capture_output=True).stdout)
        reference = reference or figures["seconds"]
        print(
            f"{fmt:>9}: {figures['seconds']:6.2f} s ({figures['seconds'] / reference:4.1f}x the "
            f"reference), {figures['rows'] / figures['seconds']:>9,.0f} rows/s, peak RSS "
            f"{figures['peak_mib']:4.0f} MiB, file {figures['mib']:6.1f} MiB"
        )


if __name__ == "__main__":
    main()
