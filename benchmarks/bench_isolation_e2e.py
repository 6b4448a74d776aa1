"""Benchmark: ``censorprobe isolate`` end to end against a testbed serving a published rule list.

    python benchmarks/bench_isolation_e2e.py [--texts 40] [--longest 850] [--window-texts 10]
                                             [--seed 2026] [--rules FOLDER] [--list NAME]
                                             [--subprocess]

For each rule list of Citizen Lab's ``search/rules/*.txt`` (read at run time from
``shared/samples`` beside the repository or from ``--rules``, never copied), held out in turn:

1. a testbed on loopback (generic personality) censors with a notice every query that holds
   every part of one of the list's rules (``testbed.load_rules`` reads the ``.txt`` itself);
2. ``--texts`` texts of jieba's words (100 to ``--longest`` characters, one rule of the list put
   in between words, one in five: two; built as in ``bench_isolation.py``'s words model) are
   each isolated by the real command, ``censorprobe isolate --platform testbed --base-url URL
   --rate 0 --json --priors`` *the other lists*, in-process (``--subprocess``: one process a
   text, as a user runs it; slower by the start-up and jieba's load each time);
3. the baseline (``xiong_knockel.py``) isolates the same texts, each query sent over HTTP to
   the same testbed through the testbed adapter;
4. queries are counted from the testbed's own log, both ways; a trigger that is not exactly the
   parts of a rule present in the text, or not minimal, is wrong.

Then ``--window-texts`` texts (100 to 400 characters) are isolated through ``--platform baidu``
against a testbed in Baidu's shape: the adapter takes 38 characters a query, so every text goes
through the window path (``runners/isolation/windows.py``), with ``--budget 600``. The baseline
has no window method: its figure beside them is on the same texts with no limit (the testbed
adapter), a reference, not a like-for-like ratio. Isolations that stop (spread parts, budget)
are counted apart: never a wrong answer.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import random
import re
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import typer
from bench_isolation import Case, RuleList, Words, load_lists, word_case, wrong
from xiong_knockel import comp_aware_bin_split

from probes.contract import Query
from probes.outcome import Verdict
from probes.platforms.testbed import TestbedAdapter
from runners.cli import build_app
from testbed import RunningTestbed, TestbedConfig, load_rules, serve_in_thread

WINDOW_LENGTHS = (100, 400)
WINDOW_BUDGET = 600


@dataclass
class Tally:
    """Queries per text as the testbed counted them, wrong answers, isolations that stopped."""

    queries: list[int]
    wrong: int = 0
    stopped: int = 0
    why: Counter[str] = field(default_factory=Counter)  # why isolations stopped

    @property
    def mean(self) -> float:
        return statistics.mean(self.queries) if self.queries else float("nan")


def sent(testbed: RunningTestbed) -> int:
    """Search requests the testbed has received so far (its own log)."""
    return sum(1 for entry in testbed.log if entry["query"] is not None)


def isolate_command(args: Sequence[str], as_process: bool) -> tuple[int, str, str]:
    """``censorprobe isolate ARGS``: exit code, stdout and stderr."""
    if as_process:
        done = subprocess.run(
            [sys.executable, "-m", "runners.cli", "isolate", *args],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.returncode, done.stdout, done.stderr
    command = typer.main.get_command(build_app("isolate"))
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = command.main(["isolate", *args], standalone_mode=False)
        except SystemExit as exc:  # click exits on usage errors
            code = int(exc.code or 0)
    return int(code or 0), out.getvalue(), err.getvalue()


def _why(stderr: str) -> str:
    """What stopped an isolation, in a word: the error's kind or the budget."""
    if "budget" in stderr:
        return "budget"
    kind = re.search(r"queries: (\w+) on query", stderr)
    return kind.group(1) if kind else stderr.strip()[:60]


def ours(
    cases: Sequence[Case],
    testbed: RunningTestbed,
    options: Sequence[str],
    as_process: bool,
) -> Tally:
    tally = Tally([])
    for case in cases:
        before = sent(testbed)
        code, output, errors = isolate_command(
            [*options, "--base-url", testbed.url, "--rate", "0", "--json", case.text], as_process
        )
        queries = sent(testbed) - before
        if code != 0:
            tally.stopped += 1
            tally.why[_why(errors)] += 1
            continue
        result = json.loads(output)
        assert result["queries"] == queries, (result, queries)  # the command counts them all
        trigger = tuple(result["trigger"]) if result["trigger"] is not None else None
        tally.wrong += wrong(trigger, case)
        tally.queries.append(queries)
    return tally


def baseline(cases: Sequence[Case], testbed: RunningTestbed) -> Tally:
    """Xiong & Knockel's method, every query a real request to the testbed."""
    adapter = TestbedAdapter(base_url=testbed.url)
    tally = Tally([])
    with httpx.Client(timeout=30) as client:

        def oracle(fragments: Sequence[str]) -> bool:
            query = Query.of(tuple(fragments), adapter.separator)
            outcome = adapter.classify(query, client.send(adapter.request(query)))
            if outcome.verdict is Verdict.ERROR:
                raise RuntimeError(f"baseline query failed: {outcome.detail}")
            return outcome.verdict is Verdict.CENSORED

        for case in cases:
            before = sent(testbed)
            trigger = comp_aware_bin_split(case.text, oracle)
            tally.wrong += wrong(trigger, case)
            tally.queries.append(sent(testbed) - before)
    return tally


def _row(name: str, tally: Tally) -> str:
    calls = tally.queries or [0]
    return (
        f"{name:<34}{tally.mean:8.2f}{statistics.median(calls):8.1f}{max(calls):6d}"
        f"{tally.wrong:7d}{tally.stopped:9d}"
    )


def _header() -> str:
    return (
        f"{'queries (testbed log)':<34}{'mean':>8}{'median':>8}{'max':>6}{'wrong':>7}{'stopped':>9}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=40, help="texts per list (testbed)")
    parser.add_argument("--longest", type=int, default=850, help="longest text (characters)")
    parser.add_argument("--window-texts", type=int, default=10, help="texts per list (baidu)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--rules", type=Path, default=None, help="folder of rule lists (*.txt)")
    parser.add_argument("--list", action="append", default=None, help="only this list")
    parser.add_argument("--subprocess", action="store_true", help="one process a text")
    args = parser.parse_args()
    lists = load_lists(args.rules)
    paths = {rules.name: path for rules, path in zip(lists, _paths(args.rules), strict=True)}
    words = Words.from_jieba()
    print(
        f"end to end (seed {args.seed}): `censorprobe isolate --rate 0` against the testbed "
        f"serving each list in turn, the other lists as --priors; {args.texts} texts of "
        f"100-{args.longest} characters through the testbed adapter, {args.window_texts} of "
        f"{WINDOW_LENGTHS[0]}-{WINDOW_LENGTHS[1]} through the baidu adapter (38 a query: windows)"
    )
    totals = {"ours": Tally([]), "base": Tally([]), "windows": Tally([]), "wbase": Tally([])}
    for held_out in lists:
        if args.list and held_out.name not in args.list:
            continue
        priors = [f"--priors={paths[r.name]}" for r in lists if r is not held_out]
        rng = random.Random(f"{args.seed}/e2e/{held_out.name}")
        cases = [word_case(rng, held_out, words, (100, args.longest)) for _ in range(args.texts)]
        long_cases = [
            word_case(rng, held_out, words, WINDOW_LENGTHS) for _ in range(args.window_texts)
        ]
        figures = _measure(held_out, paths[held_out.name], cases, long_cases, priors, args)
        for name, tally in figures.items():
            totals[name].queries += tally.queries
            totals[name].wrong += tally.wrong
            totals[name].stopped += tally.stopped
            totals[name].why += tally.why
        _print(held_out.name, f"{len(held_out.rules)} rules", figures)
    _print("all lists", "", totals)


def _measure(
    held_out: RuleList,
    path: Path,
    cases: Sequence[Case],
    long_cases: Sequence[Case],
    priors: Sequence[str],
    args: argparse.Namespace,
) -> dict[str, Tally]:
    rules = load_rules([path])
    with serve_in_thread(TestbedConfig(rules=rules)) as testbed:
        mine = ours(cases, testbed, ["--platform", "testbed", *priors], args.subprocess)
        base = baseline(cases, testbed)
        window_base = baseline(long_cases, testbed)
    with serve_in_thread(TestbedConfig(rules=rules, personality="baidu")) as testbed:
        options = ["--platform", "baidu", "--budget", str(WINDOW_BUDGET), *priors]
        windows = ours(long_cases, testbed, options, args.subprocess)
    return {"ours": mine, "base": base, "windows": windows, "wbase": window_base}


def _print(name: str, detail: str, figures: dict[str, Tally]) -> None:
    mine, base = figures["ours"], figures["base"]
    print(f"\n{name}{f' ({detail})' if detail else ''}: ratio of means {mine.mean / base.mean:.3f}")
    print(_header())
    print(_row("ours (isolate --platform testbed)", mine))
    print(_row("Xiong & Knockel", base))
    windows, reference = figures["windows"], figures["wbase"]
    if windows.queries or windows.stopped:
        print(_row("ours, windows (--platform baidu)", windows))
        print(_row("  baseline, no limit (reference)", reference))
    for tally in figures.values():
        if tally.why:
            print("stopped: " + ", ".join(f"{why} {count}" for why, count in tally.why.items()))


def _paths(folder: Path | None) -> list[Path]:
    """The list files, in the order :func:`load_lists` reads them."""
    if folder is None:
        from bench_isolation import REPO, RULES_FOLDER

        candidates = [base / RULES_FOLDER for base in (REPO.parent, REPO.parent.parent)]
        folder = next((path for path in candidates if path.is_dir()), candidates[0])
    return sorted(folder.glob("*.txt"))


if __name__ == "__main__":
    main()
