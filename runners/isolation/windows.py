"""Isolating a text longer than the platform takes (``Adapter.max_query_length``): by windows.

A query longer than the platform's limit is cut or refused, so its answer says nothing; the
search of :mod:`runners.isolation.search` begins with the whole text. A longer text is searched
in pieces that fit:

0. triggers found before on the platform (``known``, ``earlier``) whose parts all occur in the
   text are asked first, as the search asks them in a shorter text: within a run a hit costs
   one query instead of the windows.
1. *windows* of two thirds of ``limit`` characters (the search inside one sends the parts found
   so far beside what is left of it: the last third is room for them), each starting half a
   window after the one before, so that any stretch of up to half a window lies wholly inside
   one. The likeliest first (by the
   weight of :mod:`runners.isolation.priors`; without priors, left to right). The first window
   that is censored is isolated as a text of its own.
2. when no window is, the rule's parts lie further apart than a window: *pairs of chunks* of
   half a window (less the separator), sent as two fragments of one query, the likeliest pairs
   first; the first censored pair is isolated as the text ``chunk + separator + chunk`` (a part
   never holds the separator, so nothing is found across it).
3. when no pair is either, :class:`Spread` is raised: the parts lie in three chunks or more,
   or a part is longer than half a window. Never "not censored": an answer that was not asked
   is not an answer.

Cost, for a text of ``n`` characters and a limit ``L``: at most ``3n / L`` queries to find the
window (fewer with priors that point at it), then the isolation of a window
(Baidu's 38: 25 characters, about 10 to 15 queries). A rule spread over more than a window costs
up to ``(6n / L) ** 2 / 2`` pair queries more (``--budget`` caps it). A query that would still
be too long (parts found that fill the room) ends the isolation with an error.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING

from runners.isolation.search import AsyncOracle, Isolation, Parts, isolate_async, reuse_async

if TYPE_CHECKING:
    from runners.isolation.priors import Priors

__all__ = ["Spread", "isolate_windows", "windows"]


class Spread(RuntimeError):
    """No window of the text and no pair of chunks is censored."""

    def __init__(self, calls: int, limit: int) -> None:
        super().__init__(
            f"no window of {limit} characters and no pair of chunks of the text is censored "
            f"(after {calls} queries): the rule's parts lie in three chunks or more"
        )
        self.calls = calls


class _Remembered:
    """An oracle that asks each query once and counts what it asked."""

    def __init__(self, oracle: AsyncOracle) -> None:
        self.oracle = oracle
        self.answers: dict[tuple[str, ...], bool] = {}
        self.calls = 0

    async def __call__(self, fragments: Sequence[str]) -> bool:
        query = tuple(fragments)
        if query not in self.answers:
            self.calls += 1
            self.answers[query] = await self.oracle(query)
        return self.answers[query]


def windows(length: int, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` of windows of ``size`` covering ``range(length)``, each half a window
    (at least one character) after the one before; the last ends at ``length``."""
    if length <= size:
        return [(0, length)]
    step = max(size // 2, 1)
    starts = list(range(0, length - size, step)) + [length - size]
    return [(start, start + size) for start in starts]


async def isolate_windows(
    text: str,
    oracle: AsyncOracle,
    *,
    limit: int,
    separator: str = " ",
    priors: Priors | None = None,
    known: Sequence[Parts] = (),
    earlier: Sequence[Parts] = (),
) -> Isolation:
    """Isolate the rule that censors ``text``, no query longer than ``limit`` characters.

    ``known`` and ``earlier`` triggers present in the text (and short enough to send) are
    asked first, as :func:`~runners.isolation.search.isolate` asks them; a hit costs one query
    (an earlier one: a few more, to check it is still minimal) instead of the windows.
    """
    if len(text) <= limit:
        return await isolate_async(text, oracle, priors=priors, known=known, earlier=earlier)
    asked = _Remembered(oracle)

    def fit(triggers: Sequence[Parts]) -> list[Parts]:
        return [trigger for trigger in triggers if len(separator.join(trigger)) <= limit]

    reused = await reuse_async(text, asked, known=fit(known), earlier=fit(earlier))
    if reused.trigger is not None:
        return Isolation(reused.trigger, asked.calls, True)
    masses = priors.layout(text).masses if priors is not None else None
    size = max(limit - limit // 3, 1)  # room for the parts found beside what is left
    order = windows(len(text), size)
    if masses:
        order.sort(key=lambda window: -sum(masses[window[0] : window[1]]))
    for start, end in order:
        if await asked((text[start:end],)):
            inner = await isolate_async(text[start:end], asked, priors=priors)
            return Isolation(inner.trigger, asked.calls, inner.reused)
    chunk = (size - len(separator)) // 2
    chunks = windows(len(text), max(chunk, 1))
    pairs = [(a, b) for a, b in combinations(chunks, 2) if b[0] >= a[1]]
    if masses:
        pairs.sort(key=lambda pair: -_product(pair, masses))
    for (a, b), (c, d) in pairs:
        if await asked((text[a:b], text[c:d])):
            joined = text[a:b] + separator + text[c:d]
            asked.answers[(joined,)] = True  # the same query, sent as one fragment
            inner = await isolate_async(joined, asked, priors=priors)
            return Isolation(inner.trigger, asked.calls, inner.reused)
    raise Spread(asked.calls, limit)


def _product(pair: tuple[tuple[int, int], tuple[int, int]], masses: Sequence[float]) -> float:
    (a, b), (c, d) = pair
    return sum(masses[a:b]) * sum(masses[c:d])
