"""Each key across every snapshot: its verdicts over time, when it was censored, how often it flipped.

One DuckDB query over all the observation files in place groups the probes by key; rows come
back to Python a batch at a time, so the whole history is never held as Python objects.
Controls are left out (they repeat once per check). A *flip* is a change between censored and
visible from one conclusive observation to the next; errors are skipped, never counted as
either state. A key that flipped at least twice in the window read (``since``) is *unstable*:
censored one run, visible the next, so no single run says what the platform does with it.
Every censored point carries its confidence (:mod:`snapshots.confidence`); in a strip a
suspected one is a lower-case letter.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from snapshots.confidence import SUSPECTED, confidence_sql
from snapshots.duck import ObservationSql, connect
from snapshots.filters import FILTER_COLUMNS, Filters
from snapshots.store import find_snapshots

__all__ = [
    "STATE_CODES",
    "TIMELINE_COLUMNS",
    "UNSTABLE_FLIPS",
    "KeyTimeline",
    "Point",
    "state_code",
    "state_of",
    "timeline",
]

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
#: Flips in the window from which a key is unstable (the diff uses the same number).
UNSTABLE_FLIPS = 2


def state_of(verdict: str, signal: str | None) -> str:
    """``visible``, ``error``, or the signal of a censored verdict (``notice``, ``soft`` ...)."""
    return (signal or "censored") if verdict == "censored" else verdict


def state_code(state: str, confidence: str | None = None) -> str:
    """The strip letter of a state; lower case when the censorship is only suspected."""
    code = STATE_CODES.get(state, _UNKNOWN_CODE)
    return code.lower() if confidence == SUSPECTED else code


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
    confidence: str | None = None

    @property
    def state(self) -> str:
        return state_of(self.verdict, self.signal)

    def label(self) -> str:
        """``visible``, ``notice``, ``zero_results (suspected)``."""
        return f"{self.state} ({SUSPECTED})" if self.confidence == SUSPECTED else self.state

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "started_at": _iso(self.started_at),
            "verdict": self.verdict,
            "signal": self.signal,
            "confidence": self.confidence,
            "error_kind": self.error_kind,
        }


@dataclass(frozen=True)
class KeyTimeline:
    """The history of one key. ``points`` is empty unless asked for (``with_points``)."""

    key: str
    platform: str
    term_id: str
    category: str | None
    #: The text sent in the latest observation (``法輪功`` for ``falun/traditional``).
    query: str | None
    observations: int
    first_seen: datetime
    last_seen: datetime
    first_censored: datetime | None
    last_censored: datetime | None
    flips: int
    current: Point
    strip: str
    points: tuple[Point, ...] = ()

    @property
    def unstable(self) -> bool:
        return self.flips >= UNSTABLE_FLIPS

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "query": self.query,
            "platform": self.platform,
            "term": self.term_id,
            "category": self.category,
            "observations": self.observations,
            "first_seen": _iso(self.first_seen),
            "last_seen": _iso(self.last_seen),
            "first_censored": _iso(self.first_censored),
            "last_censored": _iso(self.last_censored),
            "flips": self.flips,
            "unstable": self.unstable,
            "current": self.current.state,
            "current_confidence": self.current.confidence,
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
    "query",
    "platform",
    "term",
    "category",
    "observations",
    "first_seen",
    "last_seen",
    "first_censored",
    "last_censored",
    "flips",
    "unstable",
    "current",
    "current_confidence",
    "current_run",
    "strip",
]

_POINT = (
    "{'run_id': run_id, 'started_at': started_at, 'verdict': verdict, 'signal': signal,"
    " 'error_kind': error_kind, 'confidence': confidence}"
)
_CODE = (
    "CASE "
    + " ".join(
        f"WHEN coalesce(signal, verdict) = '{state}' AND confidence = '{SUSPECTED}'"
        f" THEN '{state_code(state, SUSPECTED)}'"
        f" WHEN coalesce(signal, verdict) = '{state}' THEN '{code}'"
        for state, code in STATE_CODES.items()
    )
    + f" ELSE '{_UNKNOWN_CODE}' END"
)


def _sql(source: str, conditions: str, points: str) -> str:
    return f"""
WITH observed AS (
    SELECT key, platform, term.id AS term_id, term.category AS category, query, run_id,
           started_at, verdict, signal, error.kind AS error_kind,
           {confidence_sql()} AS confidence,
           CASE WHEN verdict = 'error' THEN NULL ELSE verdict = 'censored' END AS censored
    FROM {source}
    WHERE {conditions}
), marked AS (
    SELECT *,
           censored <> lag(censored IGNORE NULLS)
               OVER (PARTITION BY key ORDER BY started_at, run_id) AS flip
    FROM observed
)
SELECT key, any_value(platform), any_value(term_id), any_value(category),
       arg_max(query, started_at), count(*),
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
        data["run_id"],
        data["started_at"],
        data["verdict"],
        data["signal"],
        data["error_kind"],
        data["confidence"],
    )


def timeline(
    results: Path,
    *,
    platforms: Sequence[str] = (),
    terms: Sequence[str] = (),
    categories: Sequence[str] = (),
    lists: Sequence[str] = (),
    since: date | datetime | None = None,
    with_points: bool = False,
    batch: int = 100,
) -> Iterator[KeyTimeline]:
    """The timeline of every probe key under ``results``, in key order.

    Empty filters match everything; ``terms`` are term ids. With ``since`` only observations from that moment (UTC) on count, for the dates, the flips
    and instability alike.
    """
    files = [snapshot.observations for snapshot in find_snapshots(results)]
    query = ObservationSql()
    columns = ["run_id", *FILTER_COLUMNS, "query", "started_at", "verdict", "signal"]
    source = query.observations("files", files, [*columns, "confidence", "error"])
    conditions = [Filters(platforms, categories, lists, terms).sql(query)]
    if since is not None:
        conditions.append(f"started_at >= {query.bind('since', since)}")
    sql = _sql(
        source,
        " AND ".join(conditions),
        f", list({_POINT} ORDER BY started_at, run_id)" if with_points else "",
    )
    cursor = connect().execute(sql, query.parameters)
    while rows := cursor.fetchmany(batch):
        for key, platform, term_id, category, text, count, first, last, *rest in rows:
            first_censored, last_censored, flips, current, strip, *points = rest
            yield KeyTimeline(
                key,
                platform,
                term_id,
                category,
                text,
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
