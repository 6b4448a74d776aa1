"""Each key across every snapshot: its verdicts over time, when it was censored, how often it flipped.

One DuckDB query over all the observation files in place groups the probes by key; rows come
back to Python a batch at a time, so the whole history is never held as Python objects.
Controls are left out (they repeat once per check). A *flip* is a change between censored and
visible from one conclusive observation to the next; errors are skipped, never counted as
either state.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from snapshots.duck import Query, connect
from snapshots.store import find_snapshots

__all__ = ["STATE_CODES", "TIMELINE_COLUMNS", "KeyTimeline", "Point", "state_of", "timeline"]

#: One character per observation in a timeline strip: the verdict, or the censorship signal.
STATE_CODES: dict[str, str] = {
    "visible": ".",
    "notice": "N",
    "partial_notice": "P",
    "zero_results": "Z",
    "soft": "S",
    "error": "x",
}
_UNKNOWN_CODE = "?"


def state_of(verdict: str, signal: str | None) -> str:
    """``visible``, ``error``, or the signal of a censored verdict (``notice``, ``soft`` ...)."""
    return (signal or "censored") if verdict == "censored" else verdict


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat(timespec="milliseconds") + "Z"


@dataclass(frozen=True)
class Point:
    """One observation of a key: which run, when (UTC), and what it saw."""

    run_id: str
    started_at: datetime
    verdict: str
    signal: str | None
    error_kind: str | None

    @property
    def state(self) -> str:
        return state_of(self.verdict, self.signal)

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": _iso(self.started_at),
            "verdict": self.verdict,
            "signal": self.signal,
            "error_kind": self.error_kind,
        }


@dataclass(frozen=True)
class KeyTimeline:
    """The history of one key. ``points`` is empty unless asked for (``with_points``)."""

    key: str
    platform: str
    term_id: str
    category: str | None
    observations: int
    first_seen: datetime
    last_seen: datetime
    first_censored: datetime | None
    last_censored: datetime | None
    flips: int
    current: Point
    strip: str
    points: tuple[Point, ...] = ()

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "platform": self.platform,
            "term": self.term_id,
            "category": self.category,
            "observations": self.observations,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "first_censored": _iso(self.first_censored),
            "last_censored": _iso(self.last_censored),
            "flips": self.flips,
            "current": self.current.state,
            "current_run": self.current.run_id,
            "strip": self.strip,
        }
        if self.points:
            data["points"] = [point.to_json() for point in self.points]
        return data

    def row(self) -> dict[str, Any]:
        """One flat row (CSV)."""
        data = self.to_json()
        data.pop("points", None)
        return data


TIMELINE_COLUMNS = [
    "key",
    "platform",
    "term",
    "category",
    "observations",
    "first_seen",
    "last_seen",
    "first_censored",
    "last_censored",
    "flips",
    "current",
    "current_run",
    "strip",
]

_POINT = (
    "{'run_id': run_id, 'started_at': started_at, 'verdict': verdict, 'signal': signal,"
    " 'error_kind': error_kind}"
)
_CODE = (
    "CASE "
    + " ".join(
        f"WHEN coalesce(signal, verdict) = '{state}' THEN '{code}'"
        for state, code in STATE_CODES.items()
    )
    + f" ELSE '{_UNKNOWN_CODE}' END"
)


def _sql(source: str, conditions: str, points: str) -> str:
    return f"""
WITH observed AS (
    SELECT key, platform, term.id AS term_id, term.category AS category, run_id, started_at,
           verdict, signal, error.kind AS error_kind,
           CASE WHEN verdict = 'error' THEN NULL ELSE verdict = 'censored' END AS censored
    FROM {source}
    WHERE {conditions}
), marked AS (
    SELECT *,
           censored <> lag(censored IGNORE NULLS)
               OVER (PARTITION BY key ORDER BY started_at, run_id) AS flip
    FROM observed
)
SELECT key, any_value(platform), any_value(term_id), any_value(category), count(*),
       min(started_at), max(started_at),
       min(started_at) FILTER (WHERE censored), max(started_at) FILTER (WHERE censored),
       count(*) FILTER (WHERE flip),
       arg_max({_POINT}, started_at),
       string_agg({_CODE}, '' ORDER BY started_at, run_id)
       {points}
FROM marked
GROUP BY key
ORDER BY key
"""


def _point(data: dict[str, Any]) -> Point:
    return Point(
        data["run_id"], data["started_at"], data["verdict"], data["signal"], data["error_kind"]
    )


def timeline(
    results: Path,
    *,
    platforms: Sequence[str] = (),
    terms: Sequence[str] = (),
    categories: Sequence[str] = (),
    since: date | datetime | None = None,
    with_points: bool = False,
    batch: int = 100,
) -> Iterator[KeyTimeline]:
    """The timeline of every probe key under ``results``, in key order.

    Empty filters match everything; ``terms`` are term ids. With ``since`` only observations
    from that moment (UTC) on count, for the dates and the flips alike.
    """
    files = [snapshot.observations for snapshot in find_snapshots(results)]
    query = Query()
    source = query.observations(
        "files", files, ["run_id", "platform", "term", "started_at", "verdict", "signal", "error"]
    )
    conditions = ["true"]
    for name, column, values in (
        ("platforms", "platform", platforms),
        ("terms", "term.id", terms),
        ("categories", "term.category", categories),
    ):
        if values:
            conditions.append(f"list_contains({query.bind(name, list(values))}, {column})")
    if since is not None:
        conditions.append(f"started_at >= {query.bind('since', since)}")
    sql = _sql(
        source,
        " AND ".join(conditions),
        f", list({_POINT} ORDER BY started_at, run_id)" if with_points else "",
    )
    cursor = connect().execute(sql, query.parameters)
    while rows := cursor.fetchmany(batch):
        for key, platform, term_id, category, count, first, last, *rest in rows:
            first_censored, last_censored, flips, current, strip, *points = rest
            yield KeyTimeline(
                key,
                platform,
                term_id,
                category,
                count,
                first,
                last,
                first_censored,
                last_censored,
                flips,
                _point(current),
                strip,
                tuple(_point(p) for p in points[0]) if with_points else (),
            )
