"""Keyword lists at scale: flat memory of a run's plan, and `keywords check` at parser speed.

Run on demand: ``python benchmarks/bench_keywords.py [--sizes 1000,100000,1000000]
[--check-size 100000] [--run-sizes 1000,20000]``. Every figure is measured in a process of
its own (peak RSS from ``getrusage``) and printed beside its reference as a ratio:

- plan: the run's planning and the walk over its probes (prepare the lists, count the plan,
  walk every probe once collecting done keys as a run does, walk again with them as a resume
  does) at each size; reference: the smallest size. Bar: 100k / 1k ≤ 1.2 × (issue 16).
- check: ``censorprobe keywords check`` of a list of ``--check-size`` terms; reference:
  PyYAML's CSafeLoader only parsing the same file (``yaml.load``). Bar: ≤ 1.2 × in time and
  in peak RSS.
- run (with ``--run-sizes``): a real ``censorprobe run --rate 0`` against the testbed (its own
  process), peak RSS of the run's process; reference: the smallest size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

_CHARS = "习近平六四天安门白纸运动动态清零上海封城乌鲁木齐火灾抗议香港独立新疆集中营法轮功维尼"


def word(i: int) -> str:
    """A distinct Chinese-looking string for each number."""
    out = []
    while True:
        i, r = divmod(i, len(_CHARS))
        out.append(_CHARS[r])
        if i == 0:
            return "".join(out)


def write_list(path: Path, count: int, rare: bool = False) -> Path:
    """A list of ``count`` terms shaped like imported and hand-written ones (``rare``: terms
    the testbed's index finds nothing for, so that it answers fast)."""
    with path.open("w", encoding="utf-8") as out:
        out.write("list: bench\ndescription: benchmark list\nlanguage: zh-Hans\n")
        out.write("source: {name: censorprobe benchmark, retrieved: 2026-11-23, licence: MIT}\n")
        out.write("terms:\n")
        chunk = []
        for i in range(count):
            text = f"基准词{i}" if rare else word(i)
            if i % 10 == 3:
                chunk.append(f"  - id: t{i}\n    all: [{text}, 抗议]\n    category: c{i % 7}\n")
            elif i % 5 == 1:
                chunk.append(
                    f"  - id: t{i}\n    text: {text}\n    category: c{i % 7}\n"
                    f"    tags: [imported]\n    note: line {i} of the benchmark source\n"
                )
            else:
                chunk.append(f"  - {{id: t{i}, text: {text}, category: c{i % 7}}}\n")
            if len(chunk) >= 10000:
                out.write("".join(chunk))
                chunk.clear()
        out.write("".join(chunk))
        out.write("controls:\n  - {id: weather, text: 天气}\n")
    return path


_PLAN = """
import json, sys
from runners.plan.config import RunConfig
from runners.plan.planner import make_plan
from snapshots.keyset import KeySet
plan = make_plan(RunConfig(lists=[sys.argv[1]], platforms=["testbed"]))
total = plan.total()
done = KeySet()
for probe in plan.probes("testbed", done):
    done.add(probe.key)
left = sum(1 for _ in plan.probes("testbed", done))
assert total == len(done) and left == 0, (total, len(done), left)
print(json.dumps({"probes": total}))
"""

_PARSE = """
import sys, yaml
with open(sys.argv[1], "rb") as stream:
    yaml.load(stream, Loader=yaml.CSafeLoader)
"""

_CLI = """
import sys
from runners.cli import main
sys.argv = ["censorprobe", *sys.argv[1:]]
try:
    main()
except SystemExit as exit:
    if exit.code:
        raise
"""


def child(args: list[str]) -> tuple[float, float, int, str]:
    """Wall time, CPU time (user + system), peak RSS (KiB) and stdout of a fresh Python.

    CPU time is the figure compared: on a shared machine the wall time also counts waiting.
    """
    with tempfile.TemporaryFile() as errors:
        began = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=errors
        )
        assert process.stdout is not None
        stdout = process.stdout.read().decode()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - began
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            errors.seek(0)
            raise SystemExit(f"{args[:3]} failed:\n{stdout}\n{errors.read().decode()}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, stdout


def mib(kib: float) -> str:
    return f"{kib / 1024:.1f} MiB"


def line(what: str, figure: str, reference: str, ratio: float, bar: str = "") -> None:
    print(f"{what:<44} {figure:>11}  vs {reference:>11}  {ratio:6.2f} ×  {bar}")


def bench_plan(folder: Path, sizes: list[int]) -> None:
    print("plan: prepare, count, walk, walk again as a resume (peak RSS; reference: smallest)")
    results = []
    for size in sizes:
        path = write_list(folder / f"plan-{size}.yaml", size)
        _, cpu, rss, out = child(["-c", _PLAN, str(path)])
        results.append((size, cpu, rss, json.loads(out)["probes"]))
        path.unlink()
    base = results[0][2]
    for size, cpu, rss, probes in results:
        bar = "bar ≤ 1.2 ×" if size == 100_000 else ""
        line(
            f"  {size:>9,} terms, {probes:,} probes ({cpu:.1f} s CPU)",
            mib(rss),
            mib(base),
            rss / base,
            bar,
        )


def bench_check(folder: Path, size: int, rounds: int) -> None:
    path = write_list(folder / f"check-{size}.yaml", size)
    print(f"check: keywords check of {size:,} terms vs CSafeLoader parsing it (best of {rounds})")
    check: list[tuple[float, float, int]] = []
    parse: list[tuple[float, float, int]] = []
    for _ in range(rounds):
        parse.append(child(["-c", _PARSE, str(path)])[:3])
        check.append(child(["-c", _CLI, "keywords", "check", str(path)])[:3])
    for what, index, show, bar in (
        ("  CPU time (whole process)", 1, lambda v: f"{v:.2f} s", "bar ≤ 1.2 ×"),
        ("  wall time (whole process)", 0, lambda v: f"{v:.2f} s", ""),
        ("  peak RSS", 2, mib, "bar ≤ 1.2 ×"),
    ):
        ours, theirs = min(c[index] for c in check), min(p[index] for p in parse)
        line(what, show(ours), show(theirs), ours / theirs, bar)


def bench_run(folder: Path, sizes: list[int]) -> None:
    print("run: censorprobe run --rate 0 against the testbed (peak RSS; reference: smallest)")
    server = subprocess.Popen(
        [sys.executable, "-m", "runners.cli", "testbed", "--port", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = next(
            word for text in server.stdout for word in text.split() if word.startswith("http://")
        ).rstrip(".,")
        results = []
        for size in sizes:
            path = write_list(folder / f"run-{size}.yaml", size, rare=True)
            wall, _, rss, _ = child(
                [
                    "-c",
                    _CLI,
                    "run",
                    str(path),
                    "-p",
                    "testbed",
                    "--base-url",
                    url,
                    "--rate",
                    "0",
                    "--concurrency",
                    "16",
                    "--control-every",
                    "1000",
                    "--reask-delay",
                    "0",
                    "--no-evidence",
                    "--out",
                    str(folder / f"results-{size}"),
                ]
            )
            results.append((size, wall, rss))
        base = results[0][2]
        for size, wall, rss in results:
            line(f"  {size:>9,} probes ({wall:.0f} s)", mib(rss), mib(base), rss / base)
    finally:
        server.terminate()
        server.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,100000,1000000")
    parser.add_argument("--check-size", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--run-sizes", default="", help="e.g. 1000,20000 (slow: real requests)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-keywords-") as tmp:
        folder = Path(tmp)
        bench_check(folder, args.check_size, args.rounds)
        bench_plan(folder, [int(size) for size in args.sizes.split(",")])
        if args.run_sizes:
            bench_run(folder, [int(size) for size in args.run_sizes.split(",")])


if __name__ == "__main__":
    main()
