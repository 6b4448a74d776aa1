"""Comparing two sets of observations key by key: what started or stopped being censored.

The comparison is one DuckDB full outer join over the JSONL files read in place, with only
the changed keys coming back to Python; a million-line snapshot is never turned into a
million dicts. The same join compares two snapshots (on ``key``) or two vantage points of
one run (on ``key`` without its vantage).

Each key lands in at most one category. An error on either side makes the key
``inconclusive``: it is never reported as a change of censorship (rule zero).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, NamedTuple

from snapshots.duck import Query, connect
from snapshots.store import Snapshot

__all__ = [
    "CENSORSHIP_CHANGES",
    "Change",
    "ChangeKind",
    "DIFF_COLUMNS",
    "DiffResult",
    "Side",
    "diff_snapshots",
    "diff_vantages",
    "vantages",
]

DEFAULT_COUNT_THRESHOLD = 0.5


class ChangeKind(StrEnum):
    NEWLY_CENSORED = "newly_censored"
    NO_LONGER_CENSORED = "no_longer_censored"
    SIGNAL_CHANGED = "signal_changed"
    COUNT_SHIFT = "count_shift"
    ONLY_IN_A = "only_in_a"
    ONLY_IN_B = "only_in_b"
    INCONCLUSIVE = "inconclusive"


#: The kinds that mean a platform changed what it censors (what ``--fail-on-change`` watches).
CENSORSHIP_CHANGES = frozenset(
    {ChangeKind.NEWLY_CENSORED, ChangeKind.NO_LONGER_CENSORED, ChangeKind.SIGNAL_CHANGED}
)


class Side(NamedTuple):
    """What one side observed for a key."""

    verdict: str
    signal: str | None
    error_kind: str | None
    result_count: int | None

    def label(self) -> str:
        """``visible (1234)``, ``censored/notice``, ``error/timeout``."""
        detail = self.signal or self.error_kind
        text = f"{self.verdict}/{detail}" if detail else self.verdict
        return f"{text} ({self.result_count})" if self.result_count is not None else text


@dataclass(frozen=True)
class Change:
    key: str
    kind: ChangeKind
    a: Side | None
    b: Side | None

    @property
    def shift(self) -> float | None:
        """Relative change of the result count, against A's count (at least 1)."""
        if self.a is None or self.b is None:
            return None
        if self.a.result_count is None or self.b.result_count is None:
            return None
        return (self.b.result_count - self.a.result_count) / max(self.a.result_count, 1)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": str(self.kind),
            "a": self.a._asdict() if self.a else None,
            "b": self.b._asdict() if self.b else None,
            "shift": self.shift,
        }

    def row(self) -> dict[str, Any]:
        """One flat row (CSV, Markdown)."""
        row: dict[str, Any] = {"kind": str(self.kind), "key": self.key}
        for name, side in (("a", self.a), ("b", self.b)):
            for field in Side._fields:
                row[f"{name}_{field}"] = getattr(side, field) if side else None
        shift = self.shift
        row["shift"] = None if shift is None else round(shift, 4)
        return row


DIFF_COLUMNS = ["kind", "key", *(f"{s}_{f}" for s in "ab" for f in Side._fields), "shift"]


@dataclass(frozen=True)
class DiffResult:
    """The changes from A to B, and how many keys were compared and found unchanged."""

    a: str
    b: str
    changes: tuple[Change, ...]
    compared: int
    unchanged: int
    count_threshold: float

    def counts(self) -> dict[str, int]:
        counter = Counter(change.kind for change in self.changes)
        return {str(kind): counter[kind] for kind in ChangeKind}

    @property
    def censorship_changed(self) -> bool:
        return any(change.kind in CENSORSHIP_CHANGES for change in self.changes)

    def of_kind(self, kind: ChangeKind) -> list[Change]:
        return [change for change in self.changes if change.kind == kind]

    def to_json(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "count_threshold": self.count_threshold,
            "compared": self.compared,
            "unchanged": self.unchanged,
            "censorship_changed": self.censorship_changed,
            "counts": self.counts(),
            "changes": [change.to_json() for change in self.changes],
        }

    def rows(self) -> list[dict[str, Any]]:
        return [change.row() for change in self.changes]


_SIDE_COLUMNS = ["verdict", "signal", "error", "result_count"]

# Both sides are ``_keyed`` relations: k is unique on each side.
_COMPARE = """
WITH joined AS MATERIALIZED (
    SELECT
        coalesce(a.k, b.k) AS k,
        a.verdict AS av, a.signal AS asig, a.error_kind AS aerr, a.result_count AS acount,
        b.verdict AS bv, b.signal AS bsig, b.error_kind AS berr, b.result_count AS bcount,
        CASE
            WHEN a.k IS NULL THEN 'only_in_b'
            WHEN b.k IS NULL THEN 'only_in_a'
            WHEN a.verdict = 'error' OR b.verdict = 'error' THEN 'inconclusive'
            WHEN a.verdict = 'visible' AND b.verdict = 'censored' THEN 'newly_censored'
            WHEN a.verdict = 'censored' AND b.verdict = 'visible' THEN 'no_longer_censored'
            WHEN a.signal IS DISTINCT FROM b.signal THEN 'signal_changed'
            WHEN abs(b.result_count - a.result_count) > $threshold * greatest(a.result_count, 1)
                THEN 'count_shift'
        END AS kind
    FROM {a} AS a FULL OUTER JOIN {b} AS b ON a.k = b.k
)
SELECT kind, k, av, asig, aerr, acount, bv, bsig, berr, bcount FROM joined
WHERE kind IS NOT NULL
UNION ALL
SELECT NULL, NULL, NULL, NULL, NULL, count(*), NULL, NULL, NULL, NULL FROM joined
WHERE kind IS NULL
"""


def _side(verdict: str | None, signal: Any, error: Any, count: Any) -> Side | None:
    return None if verdict is None else Side(verdict, signal, error, count)


def _compare(
    query: Query, a_sql: str, b_sql: str, labels: tuple[str, str], threshold: float
) -> DiffResult:
    if threshold < 0:
        raise ValueError(f"count threshold {threshold} must not be negative")
    query.bind("threshold", threshold)
    rows = connect().execute(_COMPARE.format(a=a_sql, b=b_sql), query.parameters).fetchall()
    unchanged = next(row[5] for row in rows if row[0] is None)
    order = {kind: index for index, kind in enumerate(ChangeKind)}
    changes = sorted(
        (
            Change(row[1], ChangeKind(row[0]), _side(*row[2:6]), _side(*row[6:10]))
            for row in rows
            if row[0] is not None
        ),
        key=lambda change: (order[change.kind], change.key),
    )
    compared = unchanged + sum(1 for c in changes if c.a is not None and c.b is not None)
    return DiffResult(labels[0], labels[1], tuple(changes), compared, unchanged, threshold)


def _keyed(query: Query, name: str, snapshot: Snapshot, key: str, where: str = "") -> str:
    """One side: ``(k, verdict, signal, error_kind, result_count)``, the latest line per key.

    A key appears once per snapshot by design (a resumed run skips done keys); should one
    appear twice anyway, the later observation wins, as it does for ``censorprobe evidence``.
    """
    columns = [*_SIDE_COLUMNS, "started_at", *(["vantage"] if where else [])]
    source = query.observations(name, [snapshot.observations], columns)
    return (
        f"(SELECT * FROM (SELECT {key} AS k, verdict, signal, error.kind AS error_kind,"
        f" result_count, started_at FROM {source} {where})"
        " QUALIFY row_number() OVER (PARTITION BY k ORDER BY started_at DESC) = 1)"
    )


def diff_snapshots(
    a: Path | Snapshot, b: Path | Snapshot, *, count_threshold: float = DEFAULT_COUNT_THRESHOLD
) -> DiffResult:
    """Compare snapshot A (older) with B (newer), key by key; controls are left out."""
    first = a if isinstance(a, Snapshot) else Snapshot.open(a)
    second = b if isinstance(b, Snapshot) else Snapshot.open(b)
    query = Query()
    return _compare(
        query,
        _keyed(query, "a", first, "key"),
        _keyed(query, "b", second, "key"),
        (first.run_id, second.run_id),
        count_threshold,
    )


def vantages(snapshot: Path | Snapshot) -> list[str]:
    """The vantage points that observed something in a run."""
    run = snapshot if isinstance(snapshot, Snapshot) else Snapshot.open(snapshot)
    query = Query()
    source = query.observations("files", [run.observations], ["vantage"])
    sql = f"SELECT DISTINCT vantage FROM {source} WHERE vantage IS NOT NULL ORDER BY 1"
    return [row[0] for row in connect().execute(sql, query.parameters).fetchall()]


def diff_vantages(
    snapshot: Path | Snapshot,
    vantage_a: str,
    vantage_b: str,
    *,
    count_threshold: float = DEFAULT_COUNT_THRESHOLD,
) -> DiffResult:
    """Compare two vantage points of one run, on the key without its vantage part.

    The keys in the result are ``list/term/variant/platform``.
    """
    run = snapshot if isinstance(snapshot, Snapshot) else Snapshot.open(snapshot)
    query = Query()
    query.bind("vantage_a", vantage_a)
    query.bind("vantage_b", vantage_b)
    trimmed = "regexp_replace(key, '/[^/]*$', '')"
    return _compare(
        query,
        _keyed(query, "a", run, trimmed, "WHERE vantage = $vantage_a"),
        _keyed(query, "b", run, trimmed, "WHERE vantage = $vantage_b"),
        (f"{run.run_id}@{vantage_a}", f"{run.run_id}@{vantage_b}"),
        count_threshold,
    )
