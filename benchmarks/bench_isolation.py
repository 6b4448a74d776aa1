"""Benchmark: oracle calls of ``runners.isolation.search`` against Xiong & Knockel's baseline.

    python benchmarks/bench_isolation.py [--model characters|words|both] [--cases 500]
                                         [--word-cases 200] [--seed 2026] [--rules FOLDER]
                                         [--lengths uniform|measured] [--rule-list 0]

Two models of a censored text, both isolated through the same simulated platform by both
algorithms; each prints the mean, median and largest number of calls, how many answers were
wrong (not exactly the parts of a rule in the text, or not minimal), the ratio of the means,
and the single-rule cases by number of parts with their floor.

``characters``: 100 to 1,000 common Chinese characters, drawn by frequency rank, with one rule
of 1 to 4 parts embedded at random places (one case in five holds a second rule). Part lengths
are uniform over 2 to 6 characters (``uniform``, the default) or follow the lengths of the
8,229 parts of the baidu, bilibili and sogou rule lists of Citizen Lab's "Missing Links" (2023;
``measured``). The floor is the entropy of what must be found (Shannon: a call answers yes or
no): the number of parts (2 bits), their lengths and where they lie (``log2 comb(free + 1,
parts)``), less what repeated strings spare, plus the first call (the whole text). Ours is
measured blind and with priors from every list (its rules are random strings: the lists teach
nothing about them, so this shows what priors cost when they are wrong).

``words``: the rules of Citizen Lab's published lists (``search/rules/*.txt`` of
citizenlab/chat-censorship, CC BY-NC-SA: read at run time from ``shared/samples`` beside the
repository or from ``--rules``, never copied), one list at a time, every rule of the list
censoring as the platform would. A text is 100 to 5,000 characters of words of jieba's
dictionary drawn by frequency (a comma or full stop now and then), with one rule of the list put
in between words at random places (one case in five: two rules); a text may hold more rules of
the list by chance, as on the platform. The priors of the measured list are built from the
*other* lists only ("no lists": jieba's words alone, as ``isolate`` without ``--priors``;
"blind": no priors at all); "in a run" isolates the cases one after the other, the triggers found
tried first and learnt by the priors, as ``run --isolate`` does. The floor is the entropy bound of an algorithm that knows the word slots
and the list's numbers of parts and part lengths but not its strings: priors on the strings
(what the other lists teach) can go below it.

``--rule-list N`` adds a run of the characters model: the rules come from one list of N rules
(popular ones more often) and the cases are isolated one after the other, the triggers found
earlier tried first (``known=``), as ``censorprobe run --isolate`` does.
"""

from __future__ import annotations

import argparse
import random
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import accumulate, pairwise
from math import comb, log2
from pathlib import Path

from xiong_knockel import comp_aware_bin_split

from runners.isolation.priors import Priors, jieba_dictionary
from runners.isolation.search import isolate

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

#: How many parts of each length (characters) the baidu, bilibili and sogou rule lists of
#: citizenlab/chat-censorship (search/rules, 2023) hold: counted, not copied.
MEASURED_LENGTHS = {
    1: 333,
    2: 2792,
    3: 2369,
    4: 1050,
    5: 521,
    6: 433,
    7: 343,
    8: 203,
    9: 104,
    10: 44,
    11: 21,
    12: 13,
    13: 1,
    14: 1,
    16: 1,
}
LENGTHS = {"uniform": dict.fromkeys(range(2, 7), 1), "measured": MEASURED_LENGTHS}

Rule = tuple[str, ...]


@dataclass(frozen=True)
class Case:
    text: str
    rules: tuple[Rule, ...]
    words: int = 0  # words of filler (the words model)


@dataclass(frozen=True)
class Generator:
    """Draws cases; ``lengths`` weighs each part length."""

    lengths: dict[int, int]

    @property
    def length_entropy(self) -> float:
        total = sum(self.lengths.values())
        return -sum(count / total * log2(count / total) for count in self.lengths.values())

    def rule(self, rng: random.Random) -> Rule:
        sizes = rng.choices(list(self.lengths), list(self.lengths.values()), k=rng.randint(1, 4))
        return tuple(_characters(rng, size) for size in sizes)

    def case(self, rng: random.Random, draw_rule: Callable[[], Rule] | None = None) -> Case:
        """A censored text: random common characters with the parts of its rules scattered in."""
        draw = draw_rule or (lambda: self.rule(rng))
        rules = tuple(draw() for _ in range(2 if rng.random() < 0.2 else 1))
        parts = [part for rule in rules for part in rule]
        rng.shuffle(parts)
        length = rng.randint(100, 1000)
        filler = _characters(rng, max(length - sum(map(len, parts)), 0))
        cuts = sorted(rng.sample(range(len(filler) + 1), len(parts)))
        pieces = [filler[a:b] + p for (a, b), p in zip(pairwise([0, *cuts]), parts, strict=True)]
        return Case("".join(pieces) + filler[cuts[-1] :], rules)

    def floor(self, case: Case) -> float:
        """The entropy bound (see the top) for a single-rule case, plus the first call."""
        (rule,) = case.rules
        free = len(case.text) - sum(map(len, rule))
        bits = 2 + len(rule) * self.length_entropy + log2(comb(free + 1, len(rule)))
        for part in rule:
            if any(part != other and part in other for other in rule) or rule.count(part) > 1:
                bits -= log2(len(case.text)) + log2(max(self.lengths))  # not in the answer
            else:
                bits -= log2(_occurrences(part, case.text))
        return 1 + bits


def _occurrences(part: str, text: str) -> int:
    return sum(text.startswith(part, at) for at in range(len(text) - len(part) + 1))


def _characters(rng: random.Random, count: int) -> str:
    return "".join(rng.choices(COMMON, _RANK_WEIGHTS, k=count))


REPO = Path(__file__).resolve().parent.parent
#: Where ``../shared/samples`` is looked for: beside the repository or one folder up.
RULES_FOLDER = Path("shared/samples/citizenlab-reference/search/rules")
_PUNCTUATION = {"，": 0.08, "。": 0.04}  # after a word, with these chances


@dataclass(frozen=True)
class RuleList:
    """One published rule list: one rule a line, `` + `` between parts (read, never copied)."""

    name: str
    rules: tuple[Rule, ...]

    @classmethod
    def read(cls, path: Path) -> RuleList:
        lines = path.read_text(encoding="utf-8").splitlines()
        rules = (tuple(part.strip() for part in line.split(" + ")) for line in lines)
        return cls(path.stem, tuple(rule for rule in rules if all(rule)))

    def present(self, text: str) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if all(part in text for part in rule))

    def floor(self, case: Case) -> float:
        """The entropy bound of a single-rule case for an algorithm that knows the words the
        text is made of, where parts may go and this list's numbers of parts and lengths, but
        not the strings of its rules; plus the first call."""
        (rule,) = case.rules
        parts, lengths = self._shares
        essential = _essential(rule)  # a part repeated or inside another is not to be found
        bits = -log2(parts[len(rule)]) + log2(comb(case.words + len(rule), len(essential)))
        for part in essential:
            bits -= log2(lengths[len(part)])
            bits -= log2(max(_occurrences(part, case.text), 1))
        return 1 + max(bits, 0.0)

    @property
    def _shares(self) -> tuple[dict[int, float], dict[int, float]]:
        parts = Counter(len(rule) for rule in self.rules)
        lengths = Counter(len(part) for rule in self.rules for part in rule)
        return (
            {k: v / len(self.rules) for k, v in parts.items()},
            {k: v / lengths.total() for k, v in lengths.items()},
        )


def load_lists(folder: Path | None) -> list[RuleList]:
    """The rule lists in ``folder``, by default ``shared/samples`` beside the repository."""
    if folder is None:
        candidates = [base / RULES_FOLDER for base in (REPO.parent, REPO.parent.parent)]
        folder = next((path for path in candidates if path.is_dir()), candidates[0])
    paths = sorted(folder.glob("*.txt"))
    if not paths:
        raise SystemExit(f"{folder}: no rule lists (*.txt); give --rules FOLDER")
    return [RuleList.read(path) for path in paths]


@dataclass(frozen=True)
class Words:
    """jieba's dictionary: words drawn by their frequency."""

    words: tuple[str, ...]
    cumulative: tuple[float, ...]

    @classmethod
    def from_jieba(cls) -> Words:
        pairs = jieba_dictionary()
        return cls(tuple(w for w, _ in pairs), tuple(accumulate(float(f) for _, f in pairs)))

    def filler(self, rng: random.Random, length: int) -> list[str]:
        """Words (and now and then a comma or full stop) until ``length`` characters."""
        drawn: list[str] = []
        size = 0
        while size < length:
            word = rng.choices(self.words, cum_weights=self.cumulative)[0]
            for mark, chance in _PUNCTUATION.items():
                if rng.random() < chance:
                    word += mark
                    break
            drawn.append(word)
            size += len(word)
        return drawn


def word_case(
    rng: random.Random, rules: RuleList, words: Words, lengths: tuple[int, int] = (100, 5000)
) -> Case:
    """A censored text of real words (``lengths``: the shortest and longest, in characters)
    with one rule of the list (one in five: two) put in between words; ``rules`` of the case
    are all the rules of the list present in it."""
    put = [rng.choice(rules.rules) for _ in range(2 if rng.random() < 0.2 else 1)]
    filler = words.filler(rng, rng.randint(*lengths) - sum(len(p) for r in put for p in r))
    sequence = list(filler)
    for part in (part for rule in put for part in rule):
        sequence.insert(rng.randint(0, len(sequence)), part)
    text = "".join(sequence)
    present = rules.present(text)
    return Case(text, tuple(sorted(present, key=lambda rule: rule not in put)), len(filler))


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


Algorithm = Callable[[str, Platform], Rule | None]


def measure(cases: Sequence[Case], algorithm: Algorithm) -> tuple[list[int], int]:
    calls, mistakes = [], 0
    for case in cases:
        platform = Platform(case.rules)
        mistakes += wrong(algorithm(case.text, platform), case)
        calls.append(platform.calls)
    return calls, mistakes


def ours(text: str, platform: Platform, priors: Priors | None = None) -> Rule | None:
    return isolate(text, platform, priors=priors).trigger


class OursWithMemory:
    """``isolate`` trying the triggers found earlier first, the last one to match first."""

    def __init__(self) -> None:
        self.known: list[Rule] = []

    def __call__(self, text: str, platform: Platform) -> Rule | None:
        trigger = isolate(text, platform, known=self.known).trigger
        if trigger is not None:
            self.known = [trigger, *(known for known in self.known if known != trigger)]
        return trigger


class OursInRun:
    """``isolate`` as ``run --isolate`` uses it: the triggers found so far tried first, and
    learnt by the priors."""

    def __init__(self, priors: Priors) -> None:
        self.priors = priors
        self.known: list[Rule] = []

    def __call__(self, text: str, platform: Platform) -> Rule | None:
        trigger = isolate(text, platform, known=self.known, priors=self.priors).trigger
        if trigger is not None:
            self.known = [trigger, *(known for known in self.known if known != trigger)]
            self.priors.learn(trigger)
        return trigger


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="cases of the characters model")
    parser.add_argument("--word-cases", type=int, default=200, help="cases per list (words)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--lengths", choices=sorted(LENGTHS), default="uniform")
    parser.add_argument("--rule-list", type=int, default=0, metavar="N")
    parser.add_argument("--model", choices=("characters", "words", "both"), default="both")
    parser.add_argument("--rules", type=Path, default=None, help="folder of rule lists (*.txt)")
    args = parser.parse_args()
    if args.model in ("characters", "both"):
        _characters_model(args)
    if args.model in ("words", "both"):
        _words_model(args)


def _characters_model(args: argparse.Namespace) -> None:
    generator = Generator(LENGTHS[args.lengths])
    rng = random.Random(args.seed)
    cases = [generator.case(rng) for _ in range(args.cases)]
    double = sum(len(case.rules) == 2 for case in cases)
    low, high = min(generator.lengths), max(generator.lengths)
    print(
        f"characters: {len(cases)} cases (seed {args.seed}): texts of 100-1,000 characters, "
        f"rules of 1-4 parts of {low}-{high} characters ({args.lengths}), {double} cases with "
        "two rules"
    )
    priors = Priors.from_rules(rule for rules in load_lists(args.rules) for rule in rules.rules)
    blind, blind_wrong = measure(cases, ours)
    mine, mine_wrong = measure(cases, partial(ours, priors=priors))
    base, base_wrong = measure(cases, comp_aware_bin_split)
    _print_table(
        [
            ("ours, with priors", mine, mine_wrong),
            ("ours, blind", blind, blind_wrong),
            ("Xiong & Knockel", base, base_wrong),
        ]
    )
    print(f"ratio of means, blind: {statistics.mean(blind) / statistics.mean(base):.3f}")
    print(f"ratio of means: {statistics.mean(mine) / statistics.mean(base):.3f}")
    floors = [generator.floor(case) if len(case.rules) == 1 else None for case in cases]
    _print_by_parts(cases, [("ours", mine), ("blind", blind)], base, floors)
    _print_floor(generator, cases, base)
    if args.rule_list:
        _print_run(generator, rng, args)


def _words_model(args: argparse.Namespace) -> None:
    """Each published list in turn: its rules in word text, the other lists as priors."""
    lists = load_lists(args.rules)
    words = Words.from_jieba()
    print(
        f"\nwords: {args.word_cases} cases per list (seed {args.seed}): words of jieba's "
        "dictionary by frequency, 100-5,000 characters, one rule of the list put in between "
        "words (a second one in one case in five); every rule of the list censors"
    )
    totals: dict[str, list[int]] = {"ours": [], "bare": [], "blind": [], "run": [], "base": []}
    for held_out in lists:
        rng = random.Random(f"{args.seed}/{held_out.name}")
        cases = [word_case(rng, held_out, words) for _ in range(args.word_cases)]
        others = Priors.from_rules(r for rules in lists if rules != held_out for r in rules.rules)
        mine, mine_wrong = measure(cases, partial(ours, priors=others))
        bare, bare_wrong = measure(cases, partial(ours, priors=Priors()))
        blind, blind_wrong = measure(cases, ours)
        run, run_wrong = measure(cases, OursInRun(others.copy()))
        base, base_wrong = measure(cases, comp_aware_bin_split)
        totals["ours"] += mine
        totals["bare"] += bare
        totals["blind"] += blind
        totals["run"] += run
        totals["base"] += base
        ratio = statistics.mean(mine) / statistics.mean(base)
        print(f"\n{held_out.name} ({len(held_out.rules)} rules): ratio of means {ratio:.3f}")
        _print_table(
            [
                ("ours, each text alone", mine, mine_wrong),
                ("ours, no lists", bare, bare_wrong),
                ("ours, blind", blind, blind_wrong),
                ("ours, in a run", run, run_wrong),
                ("Xiong & Knockel", base, base_wrong),
            ]
        )
        for name, calls in (("no lists", bare), ("blind", blind)):
            print(f"ratio of means, {name}: {statistics.mean(calls) / statistics.mean(base):.3f}")
        print(f"ratio of means, in a run: {statistics.mean(run) / statistics.mean(base):.3f}")
        floors = [held_out.floor(case) if len(case.rules) == 1 else None for case in cases]
        columns = [("ours", mine), ("no lists", bare), ("blind", blind)]
        _print_by_parts(cases, columns, base, floors)
    ratio, bare_ratio, blind_ratio, in_run = (
        statistics.mean(totals[name]) / statistics.mean(totals["base"])
        for name in ("ours", "bare", "blind", "run")
    )
    print(
        f"\nwords, all lists: ratio of means {ratio:.3f} (each text alone), {bare_ratio:.3f} "
        f"(no lists), {blind_ratio:.3f} (blind), {in_run:.3f} (in a run)"
    )


def _print_table(rows: Sequence[tuple[str, Sequence[int], int]]) -> None:
    print(f"{'oracle calls':<24}{'mean':>8}{'median':>8}{'max':>6}{'wrong':>7}")
    for name, calls, mistakes in rows:
        row = f"{statistics.mean(calls):8.2f}{statistics.median(calls):8.1f}{max(calls):6d}"
        print(f"{name:<24}{row}{mistakes:7d}")


def _print_by_parts(
    cases: Sequence[Case],
    columns: Sequence[tuple[str, Sequence[int]]],
    base: Sequence[int],
    floors: Sequence[float | None],
) -> None:
    """Mean calls by number of parts (single-rule cases; then the cases with more rules), of
    each of ours against the baseline (the ratio), and the floor of the single-rule ones."""
    single = [i for i, case in enumerate(cases) if floors[i] is not None]
    names = "".join(f"{name:>10}" for name, _ in columns)
    ratios = "".join(f"{'/ ' + name:>11}" for name, _ in columns)
    print(f"{'cases':<18}{'cases':>6}{names}{'baseline':>10}{ratios}{'floor':>7}")
    groups: list[tuple[str, list[int], bool]] = []
    for parts in (1, 2, 3, 4, 5, None):
        chosen = [i for i in single if parts in (None, len(cases[i].rules[0]))]
        label = f"  {parts} part{'s' * (parts != 1)}" if parts else "  all single-rule"
        groups.append((label, chosen, True))
    groups.append(("  more rules", [i for i in range(len(cases)) if i not in set(single)], False))
    for label, chosen, floored in groups:
        if not chosen:
            continue
        means = [statistics.mean(calls[i] for i in chosen) for _, calls in columns]
        base_mean = statistics.mean(base[i] for i in chosen)
        floor = f"{statistics.mean(floors[i] or 0.0 for i in chosen):7.2f}" if floored else ""
        print(
            f"{label:<18}{len(chosen):6d}{''.join(f'{mean:10.2f}' for mean in means)}"
            f"{base_mean:10.2f}{''.join(f'{mean / base_mean:11.3f}' for mean in means)}{floor}"
        )


def _print_floor(generator: Generator, cases: Sequence[Case], base: Sequence[int]) -> None:
    """The entropy floor of the single-rule cases, and what 0.8 would ask of the others."""
    single = [i for i, case in enumerate(cases) if len(case.rules) == 1]
    double = [i for i, case in enumerate(cases) if len(case.rules) == 2]
    floor = statistics.mean(generator.floor(cases[i]) for i in single)
    base_single = statistics.mean(base[i] for i in single)
    print(
        f"floor for the single-rule cases: {floor:.2f} calls, {floor / base_single:.3f} of the "
        "baseline's: no correct algorithm averages less on them"
    )
    if double:
        allowed = 0.8 * sum(base) - floor * len(single)
        base_double = statistics.mean(base[i] for i in double)
        print(
            f"for a ratio of 0.8 over all cases, the {len(double)} two-rule cases would have to "
            f"average {allowed / len(double):.2f} calls ({allowed / len(double) / base_double:.3f}"
            " of the baseline's on them)"
        )


def _print_run(generator: Generator, rng: random.Random, args: argparse.Namespace) -> None:
    """Cases drawn from one platform's rule list, isolated in turn with memory."""
    rules = [generator.rule(rng) for _ in range(args.rule_list)]
    popularity = [1.0 / (rank + 1) for rank in range(len(rules))]
    cases = [
        generator.case(rng, lambda: rng.choices(rules, popularity)[0]) for _ in range(args.cases)
    ]
    print(
        f"\na run: {len(cases)} texts censored by the rules of one list of {len(rules)} "
        "(popularity 1/rank), isolated in turn"
    )
    base, base_wrong = measure(cases, comp_aware_bin_split)
    plain, plain_wrong = measure(cases, ours)
    memory, memory_wrong = measure(cases, OursWithMemory())
    _print_table(
        [
            ("ours, triggers reused", memory, memory_wrong),
            ("ours, each text alone", plain, plain_wrong),
            ("Xiong & Knockel", base, base_wrong),
        ]
    )
    print(f"ratio of means, triggers reused: {statistics.mean(memory) / statistics.mean(base):.3f}")


if __name__ == "__main__":
    main()
