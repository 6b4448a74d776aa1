"""Where the parts of a rule are likely to lie in a text: the weights of the isolation's search.

A censored text is mostly ordinary writing with a rule's parts in it. Each substring
``s = text[p:p + L]`` is scored by how much likelier it is as a rule part than as ordinary
text (the likelihood ratio of a part model over a filler model, as in a text-classification
naive Bayes), and by whether it starts and ends where jieba cuts the text into words:

- *filler*: a character bigram model of words drawn by frequency from jieba's dictionary
  (shipped inside the jieba package: nothing is downloaded);
- *part*: the parts of the rule lists a user has (Citizen Lab's lists of other platforms, the
  terms of a run, the platform's own earlier isolations) — the strings themselves (a part seen
  before is very likely one again) and a character bigram model of them (parts look like parts:
  名字, 法轮, 六合彩) — with how many parts a rule has and how long parts are;
- *boundaries*: a part seldom starts or ends inside a word of jieba's segmentation; it may, so
  this is a factor on the weight, never a rule.

All of it only decides where the search asks (``runners/isolation/search.py``), never what it
concludes: a part that no model expected, that straddles words, or that is longer than any seen
is still found, at the cost of a few more queries. :meth:`Priors.learn` adds a trigger found on
the platform, so the next texts of a run profit from it.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from math import exp, log
from pathlib import Path
from typing import Any

__all__ = ["Layout", "Priors", "jieba_dictionary"]

LONGEST = 12  # parts up to this length are scored; longer ones keep the search's own weights
# Tuned on benchmarks/bench_isolation.py (seed 7, not the seed reported), lists held out.
_KNOWN_SHARE = 0.3  # of the parts of a new rule: already in the lists a user has
_SHAPED_SHARE = 0.5  # of the other parts: shaped like the parts of the lists (bigrams)
_TEMPER = 0.6  # likelihood ratios are raised to this power: the models are rough
_INSIDE_WORD = 0.25  # weight of a part that starts (or ends) inside one of jieba's words
_SMOOTHING = 1.0  # pseudo-count of the part bigrams (backed off to the filler's characters)
_UNSEEN = 1e-7  # probability of a character the dictionary never has
# Weight of a string present by chance (once, wherever it lies), by its shape, per character of
# the text: the longer the text, the likelier its rule is one whose parts are common strings.
_CHANCE = 3.0
_LEARNT = 3.0
_RAREST = 3  # words of the dictionary less frequent than this are left out of the filler  # weight of a part found on the platform itself, against one of a list


@cache
def jieba_dictionary() -> tuple[tuple[str, int], ...]:
    """The words of jieba's dictionary and their frequencies."""
    import jieba

    path = Path(jieba.__file__).parent / "dict.txt"
    pairs = (line.split(" ")[:2] for line in path.read_text(encoding="utf-8").splitlines())
    return tuple((word, int(frequency)) for word, frequency in pairs if word)


@dataclass(frozen=True)
class _Filler:
    """Characters of ordinary text: words drawn from jieba's dictionary by frequency."""

    unigram: dict[str, float]
    bigram: dict[str, float]  # "ab" -> log P(b | a), pairs seen inside words
    after_word: dict[str, float]  # a -> P(a word ends after a)
    word_start: dict[str, float]  # b -> P(a word starts with b)

    @classmethod
    @cache
    def from_jieba(cls) -> _Filler:
        chars: Counter[str] = Counter()
        starts: Counter[str] = Counter()
        ends: Counter[str] = Counter()
        pairs: Counter[str] = Counter()
        # The tokenizer's table (loaded from jieba's cache) holds the dictionary's words and,
        # with frequency 0, their prefixes; the rarest words change nothing that matters here.
        for word, frequency in _tokenizer().FREQ.items():
            if frequency < _RAREST:
                continue
            for char in word:
                chars[char] += frequency
            starts[word[0]] += frequency
            ends[word[-1]] += frequency
            for a, b in pairwise(word):
                pairs[a + b] += frequency
        total = chars.total()
        out: Counter[str] = Counter()
        for pair, count in pairs.items():
            out[pair[0]] += count
        words = starts.total()
        return cls(
            {char: count / total for char, count in chars.items()},
            {pair: count / (out[pair[0]] + ends[pair[0]]) for pair, count in pairs.items()},
            {char: count / (out[char] + count) for char, count in ends.items()},
            {char: count / words for char, count in starts.items()},
        )

    def char(self, char: str) -> float:
        return self.unigram.get(char, _UNSEEN)

    def next(self, a: str, b: str) -> float:
        """P(b | a): inside a word, or a word ending after a and the next one starting with b."""
        inside = self.bigram.get(a + b, 0.0)
        ends = self.after_word.get(a, 0.0 if a in self.unigram else 1.0)
        across = ends * self.word_start.get(b, self.char(b))
        return 0.9 * (inside + across) + 0.1 * self.char(b)


@dataclass
class Priors:
    """What is known of a platform's rules: parts, part lengths, numbers of parts per rule."""

    parts: Counter[str] = field(default_factory=Counter)
    lengths: Counter[int] = field(default_factory=Counter)
    sizes: Counter[int] = field(default_factory=Counter)
    _chars: Counter[str] = field(default_factory=Counter)
    _starts: Counter[str] = field(default_factory=Counter)
    _pairs: Counter[str] = field(default_factory=Counter)
    _out: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_rules(cls, rules: Iterable[Sequence[str]]) -> Priors:
        priors = cls()
        for rule in rules:
            priors.add(rule)
        return priors

    def add(self, rule: Sequence[str], weight: float = 1.0) -> None:
        """Count a rule of a list (its parts, their lengths, how many there are)."""
        parts = [part for part in rule if part]
        if not parts:
            return
        self.sizes[len(parts)] += weight  # type: ignore[assignment]
        for part in parts:
            self.parts[part] += weight  # type: ignore[assignment]
            self.lengths[len(part)] += weight  # type: ignore[assignment]
            self._starts[part[0]] += weight  # type: ignore[assignment]
            for char in part:
                self._chars[char] += weight  # type: ignore[assignment]
            for a, b in pairwise(part):
                self._pairs[a + b] += weight  # type: ignore[assignment]
                self._out[a] += weight  # type: ignore[assignment]

    def copy(self) -> Priors:
        return Priors(*(Counter(counts) for counts in self._counters()))

    def _counters(self) -> tuple[Counter[Any], ...]:
        return (
            self.parts,
            self.lengths,
            self.sizes,
            self._chars,
            self._starts,
            self._pairs,
            self._out,
        )

    def learn(self, trigger: Sequence[str]) -> None:
        """A trigger found on the platform: its parts weigh more than a list's."""
        self.add(trigger, _LEARNT)

    def size_shares(self) -> dict[int, float]:
        """How many parts a rule has: shares among the rules counted (empty: none counted)."""
        total = self.sizes.total()
        return {size: count / total for size, count in self.sizes.items()} if total else {}

    def length_shares(self) -> dict[int, float]:
        total = self.lengths.total()
        return {length: count / total for length, count in self.lengths.items()} if total else {}

    def layout(self, text: str) -> Layout:
        """The weights of every place a part may take in ``text``."""
        return Layout.of(text, self)


def _word_cuts(text: str) -> set[int]:
    """Where jieba cuts ``text`` into words, both ends included."""
    cuts = {0}
    at = 0
    for word in _tokenizer().cut(text):
        at += len(word)
        cuts.add(at)
    return cuts


@cache
def _tokenizer() -> Any:
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    return tokenizer


@dataclass(frozen=True)
class Layout:
    """The prior weight of each part a text may hold, by where it starts.

    ``spans[p]`` maps a length ``L`` to the weight of ``text[p:p + L]`` being a part of the rule,
    summed over every place that string occurs and put at the last of them: the isolation's
    search finds a part where it occurs last (``runners/isolation/search.py``). ``lengths`` and
    ``sizes`` are the shares of part lengths and of numbers of parts per rule (empty: unknown).
    """

    spans: tuple[dict[int, float], ...]
    lengths: list[float]
    sizes: dict[int, float]
    masses: tuple[float, ...] = ()  # weight of the parts starting at each place, summed

    @classmethod
    def of(cls, text: str, priors: Priors) -> Layout:
        filler = _Filler.from_jieba()
        cuts = _word_cuts(text)
        lengths = _smoothed(priors.length_shares())
        chars = priors._chars.total()
        known = priors.parts.total()

        def part_char(char: str) -> float:
            return (priors._chars[char] + _SMOOTHING * filler.char(char)) / (chars + _SMOOTHING)

        def part_next(a: str, b: str) -> float:
            count = priors._pairs.get(a + b, 0.0)
            return (count + _SMOOTHING * part_char(b)) / (priors._out.get(a, 0.0) + _SMOOTHING)

        size = len(text)
        # log P(text[p]) and log P(text[p] | text[p - 1]), filler and part models, summed.
        filler_first = [log(filler.char(char)) for char in text]
        filler_next = [0.0] + [log(filler.next(a, b)) for a, b in pairwise(text)]
        part_first = [log(part_char(char)) for char in text]
        part_nexts = [0.0] + [log(part_next(a, b)) for a, b in pairwise(text)]
        filler_sum = _prefix(filler_next)
        part_sum = _prefix(part_nexts)
        totals: dict[str, float] = {}
        last: dict[str, int] = {}
        for start in range(size):
            start_factor = 1.0 if start in cuts else _INSIDE_WORD
            for length in range(1, min(LONGEST, size - start) + 1):
                end = start + length
                piece = text[start:end]
                log_filler = filler_first[start] + filler_sum[end] - filler_sum[start + 1]
                log_part = part_first[start] + part_sum[end] - part_sum[start + 1]
                shaped = _SHAPED_SHARE * exp(min(log_part - log_filler, 50.0))
                ratio = (1.0 - _KNOWN_SHARE) * lengths[length] * (shaped + 1.0 - _SHAPED_SHARE)
                if known and piece in priors.parts:
                    ratio += _KNOWN_SHARE * priors.parts[piece] / known * exp(-log_filler)
                end_factor = 1.0 if end in cuts else _INSIDE_WORD
                weight = ratio**_TEMPER * start_factor * end_factor
                totals[piece] = totals.get(piece, 0.0) + weight
                if piece not in last:  # by chance: the rule's parts are common strings
                    chance = _CHANCE * size * (lengths[length] * exp(log_part)) ** _TEMPER
                    totals[piece] += chance
                last[piece] = start
        spans: list[dict[int, float]] = [{} for _ in range(size)]
        for piece, weight in totals.items():
            spans[last[piece]][len(piece)] = weight
        masses = tuple(sum(weights.values()) for weights in spans)
        return cls(tuple(spans), lengths, priors.size_shares(), masses)


def _prefix(values: Sequence[float]) -> list[float]:
    sums = [0.0]
    for value in values:
        sums.append(sums[-1] + value)
    return sums


#: Lengths of parts when no list says otherwise: half the shares of the 8,229 parts of the baidu,
#: bilibili and sogou lists of Citizen Lab's "Missing Links" (2023), half a flat 2 to 6.
_DEFAULT_LENGTHS = (0.0, 0.033, 0.257, 0.231, 0.151, 0.119, 0.113, 0.056, 0.026, 0.012, 0.005)


def _smoothed(shares: dict[int, float]) -> list[float]:
    """Length shares up to :data:`LONGEST`, half from the lists, half the default."""
    default = [*_DEFAULT_LENGTHS, *([_DEFAULT_LENGTHS[-1] / 2] * LONGEST)][: LONGEST + 1]
    if not shares:
        return default
    return [0.5 * shares.get(length, 0.0) + 0.5 * default[length] for length in range(LONGEST + 1)]
