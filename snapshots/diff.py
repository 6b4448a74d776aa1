"""Comparing two sets of observations key by key: what started or stopped being censored.

The comparison is one DuckDB full outer join over the JSONL files read in place, with only
the changed keys coming back to Python; a million-line snapshot is never turned into a
million dicts. The same join compares two snapshots (on ``key``) or two vantage points of
one run (on ``key`` without its vantage).

Each key lands in at most one category. An error on either side makes the key
``inconclusive``: it is never reported as a change of censorship (rule zero). A change of
censorship counts only between confirmed verdicts (docs/architecture.md, Verdicts): where a
censored side is only ``suspected`` the key is listed apart as ``suspected``. A key whose
state went back and forth in the history given (snapshots before B besides A) is
``unstable``, not newly censored or lifted each time; neither counts as a change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from snapshots.confidence import SUSPECTED, confidence_sql
from snapshots.duck import ObservationSql, connect
from snapshots.filters import EVERYTHING, FILTER_COLUMNS, Filters
from snapshots.format import Key
from snapshots.store import Snapshot
from snapshots.timeline import UNSTABLE_FLIPS

__all__ = [
    "APART",
    "CENSORSHIP_CHANGES",
    "DEFAULT_HISTORY",
    "DIFF_COLUMNS",
    "Change",
    "ChangeKind",
    "DiffResult",
    "Side",
    "diff_snapshots",
    "diff_vantages",
    "shift_label",
    "vantages",
]

DEFAULT_COUNT_THRESHOLD = 0.5
#: Snapshots before B (besides A) read by default to tell unstable keys (``diff --history``).
DEFAULT_HISTORY = 4


class ChangeKind(StrEnum):
    NEWLY_CENSORED = "newly_censored"
    NO_LONGER_CENSORED = "no_longer_censored"
    SIGNAL_CHANGED = "signal_changed"
    COUNT_SHIFT = "count_shift"
    ONLY_IN_A = "only_in_a"
    ONLY_IN_B = "only_in_b"
    SUSPECTED = "suspected"
    UNSTABLE = "unstable"
    INCONCLUSIVE = "inconclusive"


#: The kinds that mean a platform changed what it censors (what ``--fail-on-change`` watches):
#: between confirmed verdicts only.
CENSORSHIP_CHANGES = frozenset(
    {ChangeKind.NEWLY_CENSORED, ChangeKind.NO_LONGER_CENSORED, ChangeKind.SIGNAL_CHANGED}
)
#: The kinds listed apart: a verdict changed, but nobody can say censorship did.
APART = (ChangeKind.SUSPECTED, ChangeKind.UNSTABLE)


class Side(NamedTuple):
    """What one side observed for a key."""

    verdict: str
    signal: str | None
    confidence: str | None
    error_kind: str | None
    result_count: int | None

    def label(self) -> str:
        """``visible (1234)``, ``censored/notice``, ``censored/soft [suspected]``, ``error/timeout``."""
        detail = self.signal or self.error_kind
        text = f"{self.verdict}/{detail}" if detail else self.verdict
        if self.confidence == SUSPECTED:
            text += f" [{SUSPECTED}]"
        return f"{text} ({self.result_count})" if self.result_count is not None else text


def shift_label(a: Side | None, b: Side | None) -> str:
    """A count change for people: ``+60%``, or ``0 → 1,234`` when A found nothing."""
    if a is None or b is None or a.result_count is None or b.result_count is None:
        return ""
    if a.result_count == 0:
        return f"0 → {b.result_count:,}" if b.result_count else ""
    return f"{(b.result_count - a.result_count) / a.result_count:+.0%}"


@dataclass(frozen=True)
class Change:
    key: str
    kind: ChangeKind
    a: Side | None
    b: Side | None
    #: The text sent (``法輪功`` for ``falun/traditional``), from B where B has the key.
    query: str | None = None
    #: Flips of the key's state over the history (``unstable`` keys); None without history.
    flips: int | None = None

    @property
    def shift(self) -> float | None:
        """Relative change of the result count against A's; None when A found nothing (0)."""
        if self.a is None or self.b is None:
            return None
        if not self.a.result_count or self.b.result_count is None:
            return None
        return (self.b.result_count - self.a.result_count) / self.a.result_count

    @property
    def direction(self) -> str:
        """Which way the verdict went from A to B (for the kinds listed apart)."""
        if self.a is None or self.b is None:
            return ""
        if self.a.verdict == "visible" and self.b.verdict == "censored":
            return "newly censored"
        if self.a.verdict == "censored" and self.b.verdict == "visible":
            return "no longer censored"
        if self.a.signal != self.b.signal:
            return "signal changed"
        return "back and forth" if self.kind is ChangeKind.UNSTABLE else ""

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "query": self.query,
            "kind": str(self.kind),
            "a": self.a._asdict() if self.a else None,
            "b": self.b._asdict() if self.b else None,
            "shift": self.shift,
            "flips": self.flips,
        }

    def row(self) -> dict[str, Any]:
        """One flat row (CSV, Markdown)."""
        row: dict[str, Any] = {"kind": str(self.kind), "key": self.key, "query": self.query}
        for name, side in (("a", self.a), ("b", self.b)):
            for field in Side._fields:
                row[f"{name}_{field}"] = getattr(side, field) if side else None
        shift = self.shift
        row["shift"] = None if shift is None else round(shift, 4)
        row["flips"] = self.flips
        return row


DIFF_COLUMNS = [
    "kind",
    "key",
    "query",
    *(f"{s}_{f}" for s in "ab" for f in Side._fields),
    "shift",
    "flips",
]


@dataclass(frozen=True)
class DiffResult:
    """The changes from A to B, and how many keys were compared and found unchanged."""

    a: str
    b: str
    changes: tuple[Change, ...]
    compared: int
    unchanged: int
    count_threshold: float
    #: Runs read to tell unstable keys, oldest first (A and B included); empty without history.
    history: tuple[str, ...] = ()

    def counts(self) -> dict[str, int]:
        counter = Counter(change.kind for change in self.changes)
        return {str(kind): counter[kind] for kind in ChangeKind}

    @property
    def censorship_changed(self) -> bool:
        return any(change.kind in CENSORSHIP_CHANGES for change in self.changes)

    def of_kind(self, *kinds: ChangeKind) -> list[Change]:
        return [change for change in self.changes if change.kind in kinds]

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "count_threshold": self.count_threshold,
            "history": list(self.history),
            "compared": self.compared,
            "unchanged": self.unchanged,
            "censorship_changed": self.censorship_changed,
            "counts": self.counts(),
            "changes": [change.to_json() for change in self.changes],
        }

    def rows(self) -> list[dict[str, Any]]:
        return [change.row() for change in self.changes]


_SIDE_FIELDS = Side._fields
_SIDES = ", ".join(f"{s}.{f} AS {s}_{f}" for s in "ab" for f in _SIDE_FIELDS)
_SIDE_NAMES = ", ".join(f"{s}_{f}" for s in "ab" for f in _SIDE_FIELDS)
_NULLS = ", ".join("NULL" for _ in range(2 * len(_SIDE_FIELDS)))
_CHANGED = "(a.verdict <> b.verdict OR a.signal IS DISTINCT FROM b.signal)"

# Both sides are ``_keyed`` relations, and ``flips`` a ``_flips`` one: k is unique in each.
_COMPARE = f"""
WITH joined AS MATERIALIZED (
    SELECT
        coalesce(a.k, b.k) AS k, coalesce(b.query, a.query) AS query, f.total AS flips,
        {_SIDES},
        CASE
            WHEN a.k IS NULL THEN 'only_in_b'
            WHEN b.k IS NULL THEN 'only_in_a'
            WHEN a.verdict = 'error' OR b.verdict = 'error' THEN 'inconclusive'
            WHEN f.total >= {UNSTABLE_FLIPS} AND f.since_a > 0 THEN 'unstable'
            WHEN {_CHANGED}
                 AND '{SUSPECTED}' IN (a.confidence, b.confidence) THEN 'suspected'
            WHEN a.verdict = 'visible' AND b.verdict = 'censored' THEN 'newly_censored'
            WHEN a.verdict = 'censored' AND b.verdict = 'visible' THEN 'no_longer_censored'
            WHEN a.signal IS DISTINCT FROM b.signal THEN 'signal_changed'
            WHEN abs(b.result_count - a.result_count) > $threshold * greatest(a.result_count, 1)
                THEN 'count_shift'
        END AS kind
    FROM {{a}} AS a FULL OUTER JOIN {{b}} AS b ON a.k = b.k
    LEFT JOIN {{flips}} AS f ON f.k = coalesce(a.k, b.k)
)
SELECT kind, k, query, flips, {_SIDE_NAMES} FROM joined WHERE kind IS NOT NULL
UNION ALL
SELECT NULL, NULL, NULL, count(*), {_NULLS} FROM joined WHERE kind IS NULL
"""

_NO_FLIPS = "(SELECT NULL::VARCHAR AS k, 0 AS total, 0 AS since_a WHERE false)"


def _side(verdict: str | None, *rest: Any) -> Side | None:
    return None if verdict is None else Side(verdict, *rest)


def _compare(
    query: ObservationSql,
    sides: tuple[str, str],
    labels: tuple[str, str],
    threshold: float,
    flips: str = _NO_FLIPS,
    history: tuple[str, ...] = (),
) -> DiffResult:
    if threshold < 0:
        raise ValueError(f"count threshold {threshold} must not be negative")
    query.bind("threshold", threshold)
    sql = _COMPARE.format(a=sides[0], b=sides[1], flips=flips)
    rows = connect().execute(sql, query.parameters).fetchall()
    unchanged = next(row[3] for row in rows if row[0] is None)
    order = {kind: index for index, kind in enumerate(ChangeKind)}
    width = len(Side._fields)
    changes = sorted(
        (
            Change(
                row[1],
                ChangeKind(row[0]),
                _side(*row[4 : 4 + width]),
                _side(*row[4 + width : 4 + 2 * width]),
                row[2],
                row[3],
            )
            for row in rows
            if row[0] is not None
        ),
        key=lambda change: (order[change.kind], change.key),
    )
    compared = unchanged + sum(1 for c in changes if c.a is not None and c.b is not None)
    return DiffResult(labels[0], labels[1], tuple(changes), compared, unchanged, threshold, history)


_COLUMNS = ["verdict", "signal", "confidence", "error", "result_count", "query", "started_at"]


def _keyed(
    query: ObservationSql,
    name: str,
    snapshots: Sequence[Snapshot],
    key: str,
    filters: Filters,
    where: str = "true",
) -> str:
    """One side: ``(k, run_id, verdict, signal, confidence, error_kind, result_count, query)``.

    The latest line per key (and run, when several snapshots are read): a key appears once
    per snapshot by design (a resumed run skips done keys); should one appear twice anyway,
    the later observation wins, as it does for ``censorprobe evidence``.
    """
    columns = [*_COLUMNS, *FILTER_COLUMNS, "run_id", "vantage"]
    source = query.observations(name, [s.observations for s in snapshots], columns)
    condition = f"{filters.sql(query, name)} AND {where}"
    return (
        f"(SELECT * EXCLUDE (started_at) FROM (SELECT {key} AS k, run_id, verdict, signal,"
        f" {confidence_sql()} AS confidence, error.kind AS error_kind, result_count, query,"
        f" started_at FROM {source} WHERE {condition})"
        " QUALIFY row_number() OVER (PARTITION BY k, run_id ORDER BY started_at DESC) = 1)"
    )


def _flips(query: ObservationSql, runs: Sequence[Snapshot], a: Snapshot, filters: Filters) -> str:
    """Per key: state flips (censored <-> visible, errors skipped) over ``runs``, oldest first,
    and how many of them came after A."""
    order = query.bind("history_runs", [run.run_id for run in runs])
    index = query.bind("history_a", [run.run_id for run in runs].index(a.run_id) + 1)
    source = _keyed(query, "history", runs, "key", filters, "verdict <> 'error'")
    return f"""(
        SELECT k, count(*) FILTER (WHERE flip) AS total,
               count(*) FILTER (WHERE flip AND position > {index}) AS since_a
        FROM (
            SELECT k, position,
                   (verdict = 'censored') <> lag(verdict = 'censored')
                       OVER (PARTITION BY k ORDER BY position) AS flip
            FROM (SELECT *, list_position({order}, run_id) AS position FROM {source})
        )
        GROUP BY k
    )"""


def _open(snapshot: Path | Snapshot) -> Snapshot:
    return snapshot if isinstance(snapshot, Snapshot) else Snapshot.open(snapshot)


def diff_snapshots(
    a: Path | Snapshot,
    b: Path | Snapshot,
    *,
    count_threshold: float = DEFAULT_COUNT_THRESHOLD,
    filters: Filters = EVERYTHING,
    history: Sequence[Path | Snapshot] = (),
) -> DiffResult:
    """Compare snapshot A (older) with B (newer), key by key; controls are left out.

    ``history``: other snapshots that ran before B (before or after A); a key whose state
    flipped at least twice over them, A and B (in order of start), once at least after A, is
    ``unstable``.
    """
    first, second = _open(a), _open(b)
    query = ObservationSql()
    sides = (
        _keyed(query, "a", [first], "key", filters),
        _keyed(query, "b", [second], "key", filters),
    )
    labels = (first.run_id, second.run_id)
    others = [_open(s) for s in history]
    names = {first.run_id, second.run_id}
    earlier = [s for s in others if s.run_id not in names and s.started_at <= second.started_at]
    if not earlier:
        return _compare(query, sides, labels, count_threshold)
    runs = [*sorted([*earlier, first], key=lambda s: (s.started_at, s.run_id)), second]
    return _compare(
        query,
        sides,
        labels,
        count_threshold,
        _flips(query, runs, first, filters),
        tuple(run.run_id for run in runs),
    )


def vantages(snapshot: Path | Snapshot) -> list[str]:
    """The vantage points that observed something in a run."""
    run = _open(snapshot)
    query = ObservationSql()
    source = query.observations("files", [run.observations], ["vantage"])
    sql = f"SELECT DISTINCT vantage FROM {source} WHERE vantage IS NOT NULL ORDER BY 1"
    return [row[0] for row in connect().execute(sql, query.parameters).fetchall()]


def diff_vantages(
    snapshot: Path | Snapshot,
    vantage_a: str,
    vantage_b: str,
    *,
    count_threshold: float = DEFAULT_COUNT_THRESHOLD,
    filters: Filters = EVERYTHING,
) -> DiffResult:
    """Compare two vantage points of one run, on the key without its vantage part.

    The keys in the result are ``list/term/variant/platform``.
    """
    run = _open(snapshot)
    query = ObservationSql()
    query.bind("vantage_a", vantage_a)
    query.bind("vantage_b", vantage_b)
    trimmed = Key.sql_without_vantage()
    sides = (
        _keyed(query, "a", [run], trimmed, filters, "vantage = $vantage_a"),
        _keyed(query, "b", [run], trimmed, filters, "vantage = $vantage_b"),
    )
    labels = (f"{run.run_id}@{vantage_a}", f"{run.run_id}@{vantage_b}")
    return _compare(query, sides, labels, count_threshold)
