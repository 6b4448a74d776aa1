"""Benchmark: oracle calls of ``runners.isolation`` against Xiong & Knockel's baseline.

    python benchmarks/bench_isolation.py [--cases 500] [--seed 2026]

Generates censored texts: 100 to 1,000 common Chinese characters, drawn by frequency rank, with
one rule of 1 to 4 parts of 2 to 6 characters embedded at random places (one case in five holds
a second rule). Both algorithms isolate a rule of every case through the same simulated
platform; prints the mean, median and largest number of calls of each, the ratio of the means,
and how many answers were wrong (not exactly the parts of a rule in the text, or not minimal).

The floor printed for the single-rule cases approximates the entropy of their rule given the
text, plus the first call: the number of parts (4 choices), their lengths (5 choices each) and
where they are (``comb(n, k)`` placements). An algorithm asking yes/no questions cannot average fewer
calls over these cases, however it is tuned (it can on a subset, such as one number of parts).
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise
from math import comb, log2

from xiong_knockel import comp_aware_bin_split

from runners.isolation import isolate

# About 360 of the most frequent characters of modern Chinese, roughly by frequency.
COMMON = "".join(
    dict.fromkeys(
        "的一是不了人我在有他这为之大来以个中上们到说国和地也子时道出而要于就下得可你年生自会那后"
        "能对着事其里所去行过家十用发天如然作方成者多日都三小军二无同么经法当起与好看学进种将还分此"
        "心前面又定见只主没公从知问意点外民工己现体头回理些想把样开手机本动政明全很高已各气最长因力"
        "正但被水两实变党月员物提化她关重接比路做利东内数平情山向制五少结次海真反边常四走程报百先品"
        "解直使题系或加放合位风门表口业话特部命通思社西信市光义产战原队书南北白新领管干总即安达收流"
        "教条量相代入文治受花连美改热该打世认元记克今料传格近取空权术带件基色则万几难院马感觉立石老"
        "志电研争林深科共车速究群器运界决府求音师服况何任场式写建张许目阶论处离红造保须清计转算据米"
        "复城资调太别完听值设往证非除飞更斗需望强土区青型观神称众快精河选团视根持朝照病亲英增象华整"
        "易装落阿集存"
    )
)
_RANK_WEIGHTS = [1.0 / (rank + 20) for rank in range(len(COMMON))]  # Zipf-like, flattened

Rule = tuple[str, ...]


@dataclass(frozen=True)
class Case:
    text: str
    rules: tuple[Rule, ...]


def make_case(rng: random.Random) -> Case:
    """A censored text: random common characters with the parts of its rules scattered in."""
    rules = tuple(_make_rule(rng) for _ in range(2 if rng.random() < 0.2 else 1))
    parts = [part for rule in rules for part in rule]
    rng.shuffle(parts)
    length = rng.randint(100, 1000)
    filler = _characters(rng, max(length - sum(map(len, parts)), 0))
    cuts = sorted(rng.sample(range(len(filler) + 1), len(parts)))
    pieces = [filler[a:b] + part for (a, b), part in zip(pairwise([0, *cuts]), parts, strict=True)]
    return Case("".join(pieces) + filler[cuts[-1] :], rules)


def _make_rule(rng: random.Random) -> Rule:
    return tuple(_characters(rng, rng.randint(2, 6)) for _ in range(rng.randint(1, 4)))


def _characters(rng: random.Random, count: int) -> str:
    return "".join(rng.choices(COMMON, _RANK_WEIGHTS, k=count))


class Platform:
    """Censors a query when every part of one of its rules is inside one fragment or another."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = rules
        self.calls = 0

    def __call__(self, fragments: Sequence[str]) -> bool:
        self.calls += 1
        return self.censors(fragments)

    def censors(self, fragments: Sequence[str]) -> bool:
        return any(all(any(p in f for f in fragments) for p in rule) for rule in self.rules)


def wrong(trigger: Rule | None, case: Case) -> bool:
    """Whether ``trigger`` is not the parts of a rule present in the text, or not minimal."""
    platform = Platform(case.rules)
    present = [_essential(rule) for rule in case.rules if all(p in case.text for p in rule)]
    if trigger is None or frozenset(trigger) not in present:
        return True
    smaller = [trigger[:i] + trigger[i + 1 :] for i in range(len(trigger))]
    smaller += [
        (*trigger[:i], cut, *trigger[i + 1 :])
        for i, p in enumerate(trigger)
        for cut in (p[1:], p[:-1])
    ]
    return any(platform.censors(query) for query in smaller)


def _essential(rule: Rule) -> frozenset[str]:
    """The parts of a rule that do not lie inside another of its parts."""
    return frozenset(p for p in rule if not any(p != q and p in q for q in rule))


def floor(case: Case) -> float:
    """Fewest calls any algorithm needs on average for a case like this one (see the top)."""
    (rule,) = case.rules
    return 1 + log2(4) + log2(comb(len(case.text), len(rule))) + len(rule) * log2(5)


Algorithm = Callable[[str, Platform], Rule | None]


def measure(cases: Sequence[Case], algorithm: Algorithm) -> tuple[list[int], int]:
    calls, mistakes = [], 0
    for case in cases:
        platform = Platform(case.rules)
        mistakes += wrong(algorithm(case.text, platform), case)
        calls.append(platform.calls)
    return calls, mistakes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    cases = [make_case(rng) for _ in range(args.cases)]
    ours, ours_wrong = measure(cases, lambda text, platform: isolate(text, platform).trigger)
    base, base_wrong = measure(cases, comp_aware_bin_split)
    double = sum(len(case.rules) == 2 for case in cases)
    print(
        f"{len(cases)} cases (seed {args.seed}): texts of 100-1,000 characters, rules of 1-4 "
        f"parts of 2-6 characters, {double} cases with two rules"
    )
    print(f"{'oracle calls':<24}{'mean':>8}{'median':>8}{'max':>6}{'wrong':>7}")
    for name, calls, mistakes in (
        ("runners.isolation", ours, ours_wrong),
        ("Xiong & Knockel", base, base_wrong),
    ):
        row = f"{statistics.mean(calls):8.2f}{statistics.median(calls):8.1f}{max(calls):6d}"
        print(f"{name:<24}{row}{mistakes:7d}")
    print(f"ratio of means: {statistics.mean(ours) / statistics.mean(base):.3f}")
    _print_by_parts(cases, ours, base)


def _print_by_parts(cases: Sequence[Case], ours: Sequence[int], base: Sequence[int]) -> None:
    """Mean calls on single-rule cases, by number of parts, and the floor for all of them."""
    single = [i for i, case in enumerate(cases) if len(case.rules) == 1]
    print(f"{'single-rule cases':<24}{'cases':>8}{'ours':>8}{'baseline':>10}{'ratio':>8}")
    for parts in (1, 2, 3, 4, None):
        chosen = [i for i in single if parts in (None, len(cases[i].rules[0]))]
        mine, theirs = (statistics.mean(calls[i] for i in chosen) for calls in (ours, base))
        label = f"  {parts} part{'s' * (parts != 1)}" if parts else "  all"
        print(f"{label:<24}{len(chosen):8d}{mine:8.2f}{theirs:10.2f}{mine / theirs:8.3f}")
    low = statistics.mean(floor(cases[i]) for i in single)
    theirs = statistics.mean(base[i] for i in single)
    print(f"floor for these cases: {low:.2f} calls, {low / theirs:.3f} of the baseline's")


if __name__ == "__main__":
    main()
