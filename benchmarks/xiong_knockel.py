"""Baseline for trigger isolation: component-aware binary splitting (Xiong & Knockel, FOCI 2019).

Ruohan Xiong and Jeffrey Knockel, "An Efficient Method to Determine which Combination of
Keywords Triggered Automatic Filtering of a Message", FOCI 2019, §5.4 (CompAwareBinSplit, the
algorithm the paper recommends: 35.47 messages per censored article against 342.72 for the
bisection used before it). Written here from the paper's description, so that
``benchmarks/bench_isolation.py`` can measure ``runners.isolation.search`` against it on the same
inputs. Each round of the method:

1. binary search for the largest cut ``i`` such that the components found so far plus the
   suffix ``rest[i:]`` are still censored: the character at ``i`` starts a component;
2. linear search for the component's end: the smallest ``j`` such that
   ``found + {rest[i:j], rest[i+1:]}`` is censored. Keeping ``rest[i+1:]`` rather than
   ``rest[j:]`` is what lets components overlap (帶來 + 調整 + 整體 + 領域 in 帶來…調整體…領域);
   the next component cannot end before this one, so its end search starts past this end;
3. keep ``rest[i+1:]`` and stop once the components found are censored on their own.

The paper assumes the message is already known to be censored. To compare like with like,
this version makes the same first query as ``runners.isolation.search.isolate`` (the whole text),
and returns ``None`` when that one is not censored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

__all__ = ["comp_aware_bin_split"]

Oracle = Callable[[Sequence[str]], bool]


def comp_aware_bin_split(text: str, oracle: Oracle) -> tuple[str, ...] | None:
    """Return the components of one censored keyword combination in ``text``, or ``None``."""
    if not oracle((text,)):
        return None
    found: list[str] = []
    rest = text
    min_end = 0
    while True:
        start = _last_start(found, rest, oracle)
        end = max(start + 1, min_end)
        while end < len(rest) and not oracle((*found, rest[start:end], rest[start + 1 :])):
            end += 1
        found.append(rest[start:end])
        if end == len(rest):  # found + rest[start:] is censored: nothing is missing
            return tuple(found)
        rest, min_end = rest[start + 1 :], end - start
        if oracle(tuple(found)):
            return tuple(found)


def _last_start(found: list[str], rest: str, oracle: Oracle) -> int:
    """Largest ``i`` with ``found + rest[i:]`` censored; ``found + rest`` is known censored."""
    lo, hi = 0, len(rest)  # censored at lo; at hi only ``found`` is left, known not censored
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if oracle((*found, rest[mid:])):
            lo = mid
        else:
            hi = mid
    return lo
