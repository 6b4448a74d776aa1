"""Trigger isolation: the smallest set of substrings of a censored text that is still censored.

Platform rules are conjunctions of keyword parts: a query is censored iff, for some rule, every
part of the rule is a substring of the query. Given a censored text, :func:`isolate` finds one
such rule as it occurs in the text by asking an *oracle* whether a query is censored. Each call
is a real query against a rate-limited platform, so the number of calls is the cost.

A query is a tuple of *fragments*, which the caller sends joined by the platform's separator (a
space, a newline: a character no rule part contains). A part never matches across a separator,
so cutting the text into fragments destroys every part that straddles a cut. The search only
ever drops text from the ends of the pieces it keeps: every query holds the parts found so far
plus whole stretches of the text known to hold every part still missing.

The method is Xiong & Knockel's component-aware binary splitting (FOCI 2019; the baseline is
``benchmarks/xiong_knockel.py``). The largest cut ``i`` such that the parts found plus
``rest[i:]`` are censored is where a part starts; the smallest ``j`` such that the parts found
plus ``rest[i:j]`` and ``rest[i + 1:]`` are censored is where it ends; the next part is looked
for in ``rest[i + 1:]``, so parts may overlap (帶來 + 調整 + 整體 + 領域 in 帶來…調整體…領域).
It makes fewer calls because:

- each search is a weighted bisection: it halves the likelihood of where the answer lies rather
  than the range. Parts are short, so an end takes two or three calls where the baseline makes
  one per character; the next part to find after the first is the first of the parts still
  missing, so its start is likelier early in what is left; and how many parts are still
  missing is weighed by where the parts found lie (many found early: likely more). A part is
  found where it occurs last, so a start whose character the text is full of but never holds
  again is likelier a part of one character (a long text holds rules of single characters by
  chance) than the start of a longer one. Two things
  are asked as the baseline asks them, because weighing them cost rules of one part more than
  the baseline (``benchmarks/bench_isolation.py``, by number of parts) and saved the others
  little: the first part's start is looked for anywhere alike, and whether the parts found
  already make the whole rule is one call of its own.
- answers are remembered, and queries are reduced first (no empty fragment, none inside
  another), so two searches asking the same thing in other words cost one call.
- triggers isolated before on the same platform (``known``) whose parts all occur in the text
  are asked first: within a run most censored texts share a few rules, and a hit costs one call.
  Triggers found at another time (``earlier``: the rules may have changed since) are checked
  again on a hit: dropping a part, or a character at either end of one, must not be censored.

No method can do much better on texts where the parts could lie anywhere: a call answers yes or
no, so the calls average at least the entropy of the rule's place in the text (Shannon), and
the baseline is already within about a fifth of that floor (``benchmarks/bench_isolation.py``
prints both). Real texts are not random: ``priors`` (:mod:`runners.isolation.priors`: jieba's
word boundaries, what the user's rule lists say parts look like, triggers found before) weigh
each start and end by where parts are likely, seven tenths of the weight at first (three
tenths with jieba's words alone, no rule list: word boundaries say less of where rules lie,
``benchmarks/bench_isolation.py``, "no lists"); the blind weights above keep the rest, so a part no prior expected costs a few calls more, never a wrong
answer. Each answer moves that share by how well each model foresaw it (Bayes' rule), so on a
text the priors do not describe the searches fall back to the blind weights.

The weights only decide where to ask, never what is concluded: the trigger is exact whatever the
text. The oracle must answer consistently over one isolation (rules that change half-way make
the result meaningless), and when it cannot tell (timeout, captcha, rate limit) it must raise,
never answer ``False``: the error ends the isolation and reaches the caller.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Callable, Generator, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate, islice
from math import exp, lgamma, perm
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from runners.isolation.priors import Layout, Priors

__all__ = [
    "AsyncOracle",
    "BudgetExceeded",
    "Isolation",
    "Oracle",
    "Parts",
    "isolate",
    "isolate_async",
    "reuse_async",
]

Parts = tuple[str, ...]
"""Fragments sent as one query; the caller joins them with the platform's separator."""

Oracle = Callable[[Sequence[str]], bool]
"""``oracle(fragments)`` is true when the platform censors the query made of ``fragments``."""

AsyncOracle = Callable[[Sequence[str]], Awaitable[bool]]

_Ask = Generator[Parts, bool, int]
"""A search: yields queries, is sent whether each is censored, returns a position."""
_Question = Generator[Parts, bool, bool]
_Found = tuple[Parts | None, bool]
"""What a whole search returns: the trigger (None: not censored) and whether it was known."""

# Prior weights: where the bisections ask, never what they conclude. Part lengths: half the
# share of each length among the 8,229 parts of the baidu, bilibili and sogou rule lists of
# Citizen Lab's "Missing Links" (2023), half a flat 2 to 6 (a hedge for platforms whose rules
# are longer; the benchmark's default).
_LENGTH_WEIGHTS = (  # index: part length
    0.0,
    0.033,
    0.257,
    0.231,
    0.151,
    0.119,
    0.113,
    0.056,
    0.026,
    0.012,
    0.005,
)
_LONG_PART_DECAY = 0.5  # weight of length n + 1 over that of length n, past the table
_LEAST_WEIGHT = 2e-5  # keeps a very long part from costing more than ~15 extra calls
# Number of parts of a rule: half its share in the same lists (60 % have one part, 39 % two),
# half a flat 1 to 4; past the table, each more part is 0.3 times as likely, up to 8 missing.
_PARTS_WEIGHTS = (0.0, 0.43, 0.32, 0.13, 0.12)  # index: number of parts
_MORE_PARTS_DECAY = 0.3
_MOST_MISSING = 8
_KNOWN_TRIES = 3  # known triggers asked at most, before the text's own search begins
_BLIND_SHARE = 0.3  # with priors: share of the weights left to the blind model, at first
_BARE_BLIND_SHARE = 0.7  # the same when the priors know no rule (jieba's words alone)
_LEAST_TRUST, _MOST_TRUST = 0.05, 0.97  # bounds of the priors' share as the answers move it
# The part after one of length L: half the weight on length L (asked first). Rules of single
# characters (天 + 安 + 门 + 事 + 件) are those a long text holds by chance.
_SAME_LENGTH = 0.5
# A character the text holds before a part's start (none after): weighed 1 + (text length /
# this) ** 2 times more as a part of its own, a long text holding single characters by chance.
_CHANCE_TEXT = 500.0


@dataclass(frozen=True)
class Isolation:
    """The outcome of an isolation.

    ``trigger`` holds the parts of one censoring rule as they occur in the text, in the order
    they were found (left to right), or is ``None`` when the text is not censored. The parts
    are censored together, and dropping any one of them, or a character at either end of one,
    is not. A part that a rule lists twice, or that lies inside another part of the rule, cannot
    be told apart and is not there. ``calls`` counts the oracle calls made; ``reused`` is true
    when the trigger is one of the ``known`` or ``earlier`` ones.
    """

    trigger: Parts | None
    calls: int
    reused: bool = False


class BudgetExceeded(RuntimeError):
    """The isolation needed more oracle calls than its budget allows."""

    def __init__(self, budget: int, calls: int) -> None:
        super().__init__(f"isolation stopped after {calls} oracle calls: the budget is {budget}")
        self.budget = budget
        self.calls = calls


def isolate(
    text: str,
    oracle: Oracle,
    *,
    budget: int | None = None,
    known: Sequence[Parts] = (),
    earlier: Sequence[Parts] = (),
    priors: Priors | None = None,
) -> Isolation:
    """Isolate the rule that censors ``text``, calling ``oracle`` at most ``budget`` times.

    ``known`` are triggers isolated on the same platform under the same rules (earlier in the
    same pass), likeliest first: the first three whose parts all occur in ``text`` are asked,
    and the first censored one is the result (it was minimal when found). ``earlier`` are
    triggers found at another time: the first three present are asked, and a censored one is
    the result only if it is still minimal (one call per part and two per part's ends; if it
    is not, the search starts afresh). Then the whole text is sent; when it is not censored
    the result is ``Isolation(None, 1)`` (an empty text is not sent at all). With several rules
    in the text, the one isolated is always the same: a known one, else the one left standing
    longest as the text is cut from the left. ``priors`` (:mod:`runners.isolation.priors`) say
    where parts are likely: they change which queries are asked, never the trigger found.
    Raises :class:`BudgetExceeded` instead of a call past the budget; whatever ``oracle`` raises
    propagates.
    """
    session = _Session(_search(text, known, earlier, priors), budget)
    while session.pending is not None:
        session.answer(oracle(session.pending))
    return Isolation(session.trigger, session.calls, session.reused)


async def isolate_async(
    text: str,
    oracle: AsyncOracle,
    *,
    budget: int | None = None,
    known: Sequence[Parts] = (),
    earlier: Sequence[Parts] = (),
    priors: Priors | None = None,
) -> Isolation:
    """:func:`isolate` with an oracle that is awaited, one call at a time."""
    session = _Session(_search(text, known, earlier, priors), budget)
    while session.pending is not None:
        session.answer(await oracle(session.pending))
    return Isolation(session.trigger, session.calls, session.reused)


async def reuse_async(
    text: str,
    oracle: AsyncOracle,
    *,
    known: Sequence[Parts] = (),
    earlier: Sequence[Parts] = (),
    budget: int | None = None,
) -> Isolation:
    """Only the first step of :func:`isolate_async`: the ``known`` and ``earlier`` triggers
    present in ``text``, asked as it asks them; the trigger is None when none of them censors
    (the text itself is not asked: it may be longer than the platform takes)."""
    session = _Session(_reused_only(text, known, earlier), budget)
    while session.pending is not None:
        session.answer(await oracle(session.pending))
    return Isolation(session.trigger, session.calls, session.reused)


def _reused_only(
    text: str, known: Sequence[Parts], earlier: Sequence[Parts]
) -> Generator[Parts, bool, _Found]:
    trigger = yield from _reused(text, known, earlier)
    return trigger, trigger is not None


class _Session:
    """Drives the search: answers what is already known, counts the calls it had to make."""

    def __init__(self, search: Generator[Parts, bool, _Found], budget: int | None) -> None:
        self._search = search
        self._answers: dict[Parts, bool] = {(): False}  # an empty query is never censored
        self._budget = budget
        self.calls = 0
        self.pending: Parts | None = None
        self.trigger: Parts | None = None
        self.reused = False
        self._resume(lambda: next(self._search))

    def answer(self, censored: bool) -> None:
        assert self.pending is not None
        self._answers[self.pending] = censored
        self.calls += 1
        self._resume(lambda: self._search.send(censored))

    def _resume(self, step: Callable[[], Parts]) -> None:
        """Run the search from ``step`` until it asks something not known yet, or ends."""
        try:
            query = step()
            while query in self._answers:
                query = self._search.send(self._answers[query])
        except StopIteration as stop:
            self.pending = None
            self.trigger, self.reused = stop.value
            return
        if self._budget is not None and self.calls >= self._budget:
            raise BudgetExceeded(self._budget, self.calls)
        self.pending = query


def _query(*fragments: str) -> Parts:
    """The fragments that matter, in order: no empty one, none inside another."""
    kept: list[str] = []
    for index, fragment in enumerate(fragments):
        redundant = any(
            fragment in other and (fragment != other or other_index < index)
            for other_index, other in enumerate(fragments)
            if other_index != index
        )
        if fragment and not redundant:
            kept.append(fragment)
    return tuple(kept)


def _search(
    text: str, known: Sequence[Parts], earlier: Sequence[Parts], priors: Priors | None
) -> Generator[Parts, bool, _Found]:
    """The whole isolation: yields queries, is sent whether each is censored; returns the
    trigger and whether it is a known one. The priors' layout of the text (jieba's words) is
    made only once the text is found censored and no known trigger is it."""
    reused = yield from _reused(text, known, earlier)
    if reused is not None:
        return reused, True
    if not (yield _query(text)):
        return None, False
    layout = priors.layout(text) if priors is not None else None
    found: list[str] = []
    offset = 0  # found + text[offset:] is censored
    trust = _Trust(_BLIND_SHARE if layout and layout.sizes else _BARE_BLIND_SHARE)
    while True:
        rest = text[offset:]
        place = _Place(text, layout, offset, trust)
        start = yield from _part_start(found, rest, place)
        if start == len(rest):  # found alone is censored
            return tuple(found), False
        end = yield from _part_end(found, rest, start, place)
        found.append(rest[start:end])
        if end == len(rest):  # found + rest[start:] is censored: nothing is missing
            return tuple(found), False
        offset += start + 1


def _reused(
    text: str, known: Sequence[Parts], earlier: Sequence[Parts]
) -> Generator[Parts, bool, Parts | None]:
    """The first of the known triggers present that censors, or of the earlier ones that is
    still minimal; None when there is none."""
    for trigger in _present(known, text):
        if (yield trigger):
            return trigger
    for trigger in _present(earlier, text):
        if (yield trigger):
            if (yield from _still_minimal(trigger)):
                return trigger
            break  # the rules have changed since: search afresh
    return None


def _present(triggers: Sequence[Parts], text: str) -> Iterator[Parts]:
    """The first few triggers whose parts all occur in ``text``, reduced."""
    present = (_query(*trigger) for trigger in triggers if all(part in text for part in trigger))
    return islice((trigger for trigger in present if trigger), _KNOWN_TRIES)


def _still_minimal(trigger: Parts) -> _Question:
    """Whether no query one step smaller than ``trigger`` is censored."""
    for index, part in enumerate(trigger):
        others = trigger[:index] + trigger[index + 1 :]
        for smaller in (others, (*others, part[1:]), (*others, part[:-1])):
            if (yield _query(*smaller)):
                return False
    return True


@dataclass(frozen=True)
class _Place:
    """The text, its priors (None: none), where ``rest`` begins in it, and how far the answers
    so far bear the priors out."""

    text: str
    layout: Layout | None
    offset: int
    trust: _Trust


class _Trust:
    """The share of the weights given to the priors rather than to the blind model.

    Each search's answer is evidence of which of the two models describes this text better:
    the share moves by Bayes' rule, from how likely each model found the answer (within
    bounds, so that neither is ever dismissed). On text the priors do not describe (random
    characters), the searches after the first fall back to the blind weights; on text they
    describe, they lean on the priors further.
    """

    def __init__(self, blind_share: float) -> None:
        self.share = 1.0 - blind_share

    def mix(self, blind: Sequence[float], informed: Sequence[float]) -> list[float]:
        share = self.share
        return [(1.0 - share) * a + share * b for a, b in zip(blind, informed, strict=True)]

    def learn(self, blind: float, informed: float) -> None:
        """The answer was found with likelihood ``blind`` and ``informed`` by each model."""
        both = (1.0 - self.share) * blind + self.share * informed
        if both > 0.0:
            share = self.share * informed / both
            self.share = min(max(share, _LEAST_TRUST), _MOST_TRUST)


def _part_start(found: list[str], rest: str, place: _Place) -> _Ask:
    """Largest ``i`` with ``found + rest[i:]`` censored, or ``len(rest)`` if ``found`` is.

    Whether ``found`` alone is censored is asked first (one call, as the baseline does); then
    bisects for the first cut that is *not* censored, ``i + 1``. The first part is looked for
    anywhere alike; a later one is the first of the ``r``
    still missing: if they lie anywhere in ``rest``, it starts at a share ``x`` of it with
    density ``r * (1 - x) ** (r - 1)``; with priors, each lies at a place with the weight of
    the parts starting there, and the first of ``r`` at ``i`` with ``G(i) ** r - G(i + 1) ** r``
    (``G``: the share of the weight at or after ``i``), mixed with the blind density.
    """
    size = len(rest)
    if found and (yield _query(*found)):
        return size
    layout = place.layout
    masses = layout.masses[place.offset :] if layout else ()
    whole = sum(layout.masses) if layout else 0.0
    left = sum(masses) / whole if layout and whole else size / len(place.text)
    missing = _parts_missing(len(found), left, layout)
    missing.pop(0, None)  # found alone is not censored
    first = _normal(
        [
            sum(chance * r * (1.0 - start / size) ** (r - 1) for r, chance in missing.items())
            if found
            else 1.0  # the first part: anywhere alike (see above)
            for start in range(size)
        ]
    )
    informed = _first_of(masses, missing) if layout and sum(masses) else None
    weights = [0.0, *(place.trust.mix(first, informed) if informed else first)]

    def clean(cut: int) -> _Question:
        return not (yield _query(*found, rest[cut:]))

    cut = yield from _bisect(0, size, weights, clean)  # clean at size: found alone is not
    if informed:
        place.trust.learn(first[cut - 1], informed[cut - 1])
    return cut - 1


def _normal(weights: list[float]) -> list[float]:
    total = sum(weights)
    return [weight / total for weight in weights] if total else weights


def _first_of(masses: Sequence[float], missing: dict[int, float]) -> list[float]:
    """How likely the first of the parts missing starts at each place, each part lying at a
    place with the likelihood of its mass."""
    total = sum(masses)
    tail = [0.0] * (len(masses) + 1)
    for at in range(len(masses) - 1, -1, -1):
        tail[at] = tail[at + 1] + masses[at] / total
    return _normal(
        [
            sum(chance * (tail[at] ** r - tail[at + 1] ** r) for r, chance in missing.items())
            for at in range(len(masses))
        ]
    )


def _parts_missing(found: int, left: float, layout: Layout | None) -> dict[int, float]:
    """How likely each number of parts still missing is, the share ``left`` of the text being
    what remains to search after the ``found`` parts found so far.

    Parts lie anywhere in the text: the first ``found`` of ``k`` parts all lie before the share
    ``left`` with likelihood ``k! / (k - found)! * left ** (k - found)``, times the prior of ``k``.
    """
    likelihood = {
        missing: _parts_weight(found + missing, layout)
        * perm(found + missing, found)
        * left**missing
        for missing in range(0 if found else 1, _MOST_MISSING + 1)
    }
    total = sum(likelihood.values())
    return {missing: weight / total for missing, weight in likelihood.items()}


def _parts_weight(parts: int, layout: Layout | None) -> float:
    if parts < len(_PARTS_WEIGHTS):
        weight = _PARTS_WEIGHTS[parts]
    else:
        weight = _PARTS_WEIGHTS[-1] * _MORE_PARTS_DECAY ** (parts - len(_PARTS_WEIGHTS) + 1)
    if layout and layout.sizes:  # half what the lists say
        return 0.5 * weight + 0.5 * layout.sizes.get(parts, 0.0)
    return weight


def _part_end(found: list[str], rest: str, start: int, place: _Place) -> _Ask:
    """Smallest ``j`` with ``found + {rest[start:j], rest[start + 1:]}`` censored.

    ``found + rest[start + 1:]`` is not censored, so neither is that query while
    ``rest[start:j]`` lies inside ``rest[start + 1:]`` or inside a part found: such ends are
    skipped without asking. (With the part found last, this is the paper's rule that the next
    part ends after the last one.) With priors, the weights of the parts starting there, mixed
    with the blind lengths; after a part, half the weight is on the length of the part found
    last (parts of one rule are often alike: single characters, two-character words).
    """
    tail = rest[start + 1 :]
    low = start
    while low + 1 < len(rest) and any(rest[start : low + 1] in piece for piece in (tail, *found)):
        low += 1
    blind = [0.0] * start + _normal(
        [_length_weight(length) for length in range(len(rest) - start + 1)]
    )
    chance = _absent_by_chance(place.text, place.offset + start, low + 1 - start, len(rest) - start)
    blind = _normal([weight * chance[max(end - start, 0)] for end, weight in enumerate(blind)])
    at = place.offset + start
    if low == start and place.text.find(place.text[at], 0, at) >= 0:  # see _CHANCE_TEXT
        blind[start + 1] *= 1.0 + (len(place.text) / _CHANCE_TEXT) ** 2
        blind = _normal(blind)
    spans = place.layout.spans[place.offset + start] if place.layout else {}
    total = sum(spans.values())
    informed = [spans.get(end - start, 0.0) / total if total else 0.0 for end in range(len(blind))]
    weights = list(blind)
    for length in spans:  # longer parts than the priors score keep the blind weight
        weights[start + length] = place.trust.mix(
            [blind[start + length]], [informed[start + length]]
        )[0]
    if found and start + len(found[-1]) < len(weights):  # the length of the part found last
        same = start + len(found[-1])
        weights = [weight * (1.0 - _SAME_LENGTH) for weight in weights]
        weights[same] += _SAME_LENGTH * sum(weights) / (1.0 - _SAME_LENGTH)

    def censored(end: int) -> _Question:
        return (yield _query(*found, rest[start:end], tail))

    end = yield from _bisect(low, len(rest), weights, censored)
    if total:
        place.trust.learn(blind[end], informed[end])
    return end


def _absent_by_chance(text: str, at: int, shortest: int, longest: int) -> list[float]:
    """How likely the text makes each length up to ``longest`` of a part starting at ``at``.

    The part occurs nowhere after ``at`` (the search found its last occurrence), and no part
    shorter than ``shortest`` is possible (each occurs after). So ``text[at:at + shortest]``
    occurs nowhere after ``at``: were the part longer, that would be chance, unlikely for a
    string the text is full of (a common character, in a long text). The chance is what the
    string's count before ``at`` says of its frequency (Laplace's rule of succession); the
    same for each longer prefix, while it occurs before.
    """
    factors = [1.0] * (longest + 1)
    for length in range(shortest, longest):
        count = text.count(text[at : at + length], 0, at + length - 1)
        slots = len(text) - at - length  # places after at where it could have begun
        if not count or slots <= 0:
            break
        unseen = at - count + 1  # Beta(count + 1, at - count + 1) on its frequency
        absent = exp(
            lgamma(unseen + slots) + lgamma(at + 2) - lgamma(unseen) - lgamma(at + 2 + slots)
        )
        factors[length + 1 :] = [factor * absent for factor in factors[length + 1 :]]
    return factors


def _length_weight(length: int) -> float:
    if length < len(_LENGTH_WEIGHTS):
        return _LENGTH_WEIGHTS[length]
    decayed = _LENGTH_WEIGHTS[-1] * _LONG_PART_DECAY ** (length - len(_LENGTH_WEIGHTS) + 1)
    return max(decayed, _LEAST_WEIGHT)


def _bisect(
    low: int,
    high: int,
    weights: Sequence[float],
    ask: Callable[[int], _Question],
) -> _Ask:
    """Smallest ``x`` in ``low + 1..high`` where ``ask(x)`` is true, given false at ``low``.

    ``ask(high)`` is taken as true without asking. ``weights[x]`` is how likely ``x`` is the
    answer: each question splits what is left of that likelihood in two, so likely answers
    take few questions and unlikely ones a few more.
    """
    total = list(accumulate(weights))
    while high - low > 1:
        middle = (total[low] + total[high]) / 2
        split = bisect_left(total, middle, low + 1, high - 1)
        if split > low + 1 and middle - total[split - 1] < total[split] - middle:
            split -= 1
        if (yield from ask(split)):
            high = split
        else:
            low = split
    return high
