"""Trigger isolation: the smallest set of substrings of a censored text that still gets censored.

Platform rules are conjunctions of keyword parts: a query is censored iff, for some rule, every
part of the rule is a substring of the query. Given a censored text, :func:`isolate` finds one
such rule as it occurs in the text, asking an *oracle* whether a query is censored. Each oracle
call is a real query against a rate-limited platform, so the number of calls is the cost.

The oracle receives *fragments*: the caller sends them as one query, joined by a platform
specific separator (a space, a newline, a character no rule part contains). A part is never
formed across a separator, so cutting a text into fragments destroys every part that straddles
a cut. The search therefore never cuts the text anywhere but at the two ends of a fragment: a
query is the parts found so far plus one contiguous piece of the text.

The method follows Xiong & Knockel's component-aware binary splitting (FOCI 2019; the baseline
is ``benchmarks/xiong_knockel.py``): the largest cut ``i`` such that the parts found so far plus
``rest[i:]`` are censored marks the start of a part; the smallest ``j`` such that the parts
found plus ``rest[i:j]`` and ``rest[i + 1:]`` are censored marks its end; the next part is
looked for in ``rest[i + 1:]``, which lets parts overlap. It spends fewer calls because:

- every search is a weighted bisection that splits the probability of where the answer lies
  rather than the range: parts are short (mostly 2-4 characters), so an end is found in two or
  three calls instead of one call per character; whether the parts found are already the whole
  rule is one of the answers of the next start search rather than a call of its own;
- answers are remembered, and a query is answered without a call when a known answer decides
  it: a query is censored if a censored query's fragments are each a substring of one of its
  fragments, and not censored in the converse case.

The result is exact whatever the weights: they only decide where to ask. The oracle must be
deterministic over one isolation (the rules do not change half-way); an oracle that cannot tell
(timeout, captcha, rate limit) must raise, never answer ``False``: the error ends the isolation
and reaches the caller.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import dataclass
from itertools import accumulate

__all__ = [
    "AsyncOracle",
    "BudgetExceeded",
    "Isolation",
    "Oracle",
    "Query",
    "isolate",
    "isolate_async",
]

Query = tuple[str, ...]
"""Fragments sent as one query; the caller joins them with the platform's separator."""

Oracle = Callable[[Sequence[str]], bool]
"""``oracle(fragments) -> True`` when the platform censors the query made of ``fragments``."""

AsyncOracle = Callable[[Sequence[str]], Awaitable[bool]]

_Search = Generator[Query, bool, int]

# Prior weights. They steer where the bisections ask, never what they conclude. Rule parts seen
# on Chinese search platforms are mostly 2 to 4 characters, rarely 1, with a tail to about 12.
_LENGTH_WEIGHTS = (0.0, 0.25, 1.0, 1.0, 0.8, 0.6, 0.5)  # index: part length
_LONG_PART_DECAY = 0.6  # weight of length n + 1 relative to length n beyond the table
_LEAST_WEIGHT = 1e-4  # no answer is unlikely enough to cost more than ~14 questions extra
_SKEW = 1.0
_DONE_WEIGHT = 0.4  # chance that the parts found so far are already the whole rule


@dataclass(frozen=True)
class Isolation:
    """The outcome of an isolation.

    ``trigger`` holds the parts of one censoring rule as they occur in the text, in the order
    they were found, or ``None`` when the text is not censored at all. Each part triggers only
    together with the others: dropping a part, or a character at either end of one, is not
    censored. A part the rule lists twice, or one contained in another part, is only there once.
    """

    trigger: Query | None
    calls: int


class BudgetExceeded(RuntimeError):
    """The isolation needed more oracle calls than its budget allows."""

    def __init__(self, budget: int, calls: int) -> None:
        super().__init__(
            f"isolation stopped after {calls} oracle calls: the budget is {budget}"
        )
        self.budget = budget
        self.calls = calls


def isolate(text: str, oracle: Oracle, *, budget: int | None = None) -> Isolation:
    """Isolate the rule that censors ``text``, asking ``oracle`` at most ``budget`` times.

    The first call sends the whole text: when it is not censored the result is
    ``Isolation(None, 1)``. Raises :class:`BudgetExceeded` before a call past ``budget``.
    Whatever ``oracle`` raises propagates.
    """
    session = _Session(text, budget)
    while session.pending is not None:
        session.answer(oracle(session.pending))
    return Isolation(session.trigger, session.calls)


async def isolate_async(
    text: str, oracle: AsyncOracle, *, budget: int | None = None
) -> Isolation:
    """:func:`isolate` with an oracle that is awaited, one call at a time."""
    session = _Session(text, budget)
    while session.pending is not None:
        session.answer(await oracle(session.pending))
    return Isolation(session.trigger, session.calls)


class _Session:
    """Runs the search, answering from what is known and counting the calls it had to make."""

    def __init__(self, text: str, budget: int | None) -> None:
        self._search = _isolate(text)
        self._known = _Knowledge()
        self._budget = budget
        self.calls = 0
        self.pending: Query | None = None
        self.trigger: Query | None = None
        self._resume(lambda: next(self._search))

    def answer(self, censored: bool) -> None:
        assert self.pending is not None
        self._known.add(self.pending, censored)
        self.calls += 1
        self._resume(lambda: self._search.send(censored))

    def _resume(self, step: Callable[[], Query]) -> None:
        """Run the search from ``step`` until it asks something not known yet, or ends."""
        try:
            query = step()
            while (known := self._known.infer(query)) is not None:
                query = self._search.send(known)
        except StopIteration as stop:
            self.pending, self.trigger = None, stop.value
            return
        if self._budget is not None and self.calls >= self._budget:
            raise BudgetExceeded(self._budget, self.calls)
        self.pending = query


class _Knowledge:
    """Answers already given, and what they decide: censorship only grows with the query.

    Query ``a`` is *covered* by query ``b`` when each fragment of ``a`` is a substring of a
    fragment of ``b``: every part present in ``a`` is then present in ``b``.
    """

    def __init__(self) -> None:
        self._censored: list[Query] = []
        self._clean: list[Query] = []

    def add(self, query: Query, censored: bool) -> None:
        (self._censored if censored else self._clean).append(query)

    def infer(self, query: Query) -> bool | None:
        if not query or any(_covers(query, known) for known in self._clean):
            return False
        if any(_covers(known, query) for known in self._censored):
            return True
        return None


def _covers(small: Query, big: Query) -> bool:
    return all(any(piece in fragment for fragment in big) for piece in small)


def _query(*fragments: str) -> Query:
    """The fragments that matter: without empty ones, or ones inside another fragment."""
    kept: list[str] = []
    for index, fragment in enumerate(fragments):
        inside = any(
            fragment in other and (fragment != other or other_index < index)
            for other_index, other in enumerate(fragments)
            if other_index != index
        )
        if fragment and not inside:
            kept.append(fragment)
    return tuple(kept)


def _isolate(text: str) -> Generator[Query, bool, Query | None]:
    """The search: yields queries, is sent whether each is censored, returns the trigger."""
    if not (yield _query(text)):
        return None
    found: list[str] = []
    rest = text  # invariant: found + rest is censored
    min_end = 0
    while True:
        start = yield from _part_start(found, rest)
        if start == len(rest):  # found alone is censored
            return tuple(found)
        end = yield from _part_end(found, rest, start, min_end)
        found.append(rest[start:end])
        if end == len(rest):  # found + rest[start:] is censored: nothing is missing
            return tuple(found)
        # The next part ends after this one, or it would lie inside it and be redundant.
        rest, min_end = rest[start + 1 :], end - start


def _part_start(found: list[str], rest: str) -> _Search:
    """Largest ``i`` with ``found + rest[i:]`` censored; ``len(rest)`` if ``found`` is.

    Searches for the smallest cut that is *not* censored, ``i + 1``, in ``1..len(rest) + 1``;
    ``len(rest) + 1`` stands for "even ``found`` alone is censored".
    """
    size = len(rest)
    done = _DONE_WEIGHT if found else 0.0
    skew = [(1.0 - cut / (size + 1)) ** _SKEW for cut in range(size)]
    scale = (1.0 - done) / sum(skew)
    weights = [0.0, *(w * scale for w in skew), done]

    def clean(cut: int) -> _Search:
        return int(not (yield _query(*found, rest[cut:])))

    cut = yield from _bisect(0, size + 1, weights, clean)
    return cut - 1


def _part_end(found: list[str], rest: str, start: int, min_end: int) -> _Search:
    """Smallest ``j >= min_end`` with ``found + {rest[start:j], rest[start + 1:]}`` censored."""
    tail = rest[start + 1 :]
    weights = [_length_weight(end - start) for end in range(len(rest) + 1)]

    def censored(end: int) -> _Search:
        return int((yield _query(*found, rest[start:end], tail)))

    return (yield from _bisect(max(start, min_end - 1), len(rest), weights, censored))


def _length_weight(length: int) -> float:
    if length < len(_LENGTH_WEIGHTS):
        return _LENGTH_WEIGHTS[max(length, 0)]
    decayed = _LENGTH_WEIGHTS[-1] * _LONG_PART_DECAY ** (length - len(_LENGTH_WEIGHTS) + 1)
    return max(decayed, _LEAST_WEIGHT)


def _bisect(
    low: int, high: int, weights: Sequence[float], ask: Callable[[int], _Search]
) -> _Search:
    """Smallest ``x`` in ``low + 1..high`` with ``ask(x)`` true; false at ``low``, true at ``high``.

    ``weights[x]`` is how likely ``x`` is the answer; each question splits what is left of that
    likelihood in half, so likely answers take few questions and unlikely ones a few more.
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
