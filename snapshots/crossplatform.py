"""The same term on a platform that censors and on its uncensored twin, within one run.

Citizen Lab's "Missing Links" (2023) reads censorship off this contrast: a term a Chinese
platform hides (``bing_cn``, Baidu, Weibo, Bilibili ...) that its twin outside the filter
(``bing``, ``wikipedia_zh``) finds. For each pair of platforms (A, B), each term of the run is
joined on its key without platform and vantage (``list/term/variant``): at the same vantage
point, or, with ``reference_vantage``, B as probed from that one vantage against A
from every vantage (a platform inside China from Beijing, its twin from abroad).

Each term of a pair lands in one kind. An error on either side is ``inconclusive`` (rule zero).
A censored side keeps its confidence (:mod:`snapshots.confidence`): a hidden-on-A row whose A
is only suspected says so. "Found" means B answered with results (``visible`` and a count
that is not 0); a term B finds nothing for either is ``not_found_on_b``: A's silence may be
the term's rarity, and only A's own confidence speaks for it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from snapshots.confidence import confidence_sql
from snapshots.diff import Side
from snapshots.duck import ObservationSql, connect
from snapshots.filters import EVERYTHING, FILTER_COLUMNS, Filters
from snapshots.format import Key
from snapshots.store import Snapshot

__all__ = [
    "CONTRAST_COLUMNS",
    "DEFAULT_PAIRS",
    "Contrast",
    "ContrastKind",
    "PlatformComparison",
    "compare_platforms",
    "parse_pair",
]

#: Censoring platform -> its uncensored twin (Citizen Lab, "Missing Links", 2023: the same
#: engine outside the filter, or the Chinese Wikipedia, blocked in China and unfiltered).
DEFAULT_PAIRS: tuple[tuple[str, str], ...] = (
    ("bing_cn", "bing"),
    ("baidu", "wikipedia_zh"),
    ("weibo", "wikipedia_zh"),
    ("weibo_m", "wikipedia_zh"),
    ("bilibili", "wikipedia_zh"),
    ("douyin", "wikipedia_zh"),
    ("zhihu", "wikipedia_zh"),
    ("sogou_weixin", "wikipedia_zh"),
)


class ContrastKind(StrEnum):
    HIDDEN_ON_A = "hidden_on_a"
    HIDDEN_ON_BOTH = "hidden_on_both"
    NOT_FOUND_ON_B = "not_found_on_b"
    HIDDEN_ON_B = "hidden_on_b"
    INCONCLUSIVE = "inconclusive"
    ONLY_ON_A = "only_on_a"
    ONLY_ON_B = "only_on_b"
    VISIBLE_ON_BOTH = "visible_on_both"

    def describe(self, a: str, b: str) -> str:
        """The kind in words, with the platforms' names: ``hidden on bing_cn, found on bing``."""
        return {
            ContrastKind.HIDDEN_ON_A: f"hidden on {a}, found on {b}",
            ContrastKind.HIDDEN_ON_BOTH: f"hidden on {a} and on {b}",
            ContrastKind.NOT_FOUND_ON_B: f"hidden on {a}, nothing found on {b} either",
            ContrastKind.HIDDEN_ON_B: f"hidden on {b}, found on {a}",
            ContrastKind.INCONCLUSIVE: "inconclusive (an error on either side)",
            ContrastKind.ONLY_ON_A: f"probed on {a} only",
            ContrastKind.ONLY_ON_B: f"probed on {b} only",
            ContrastKind.VISIBLE_ON_BOTH: "visible on both",
        }[self]


#: Kinds counted but not listed row by row (nothing to see, or nothing to compare).
_COUNTED_ONLY = frozenset({ContrastKind.VISIBLE_ON_BOTH})


@dataclass(frozen=True)
class Contrast:
    """One term on one pair: A's answer and B's, and where each was asked from."""

    platform_a: str
    platform_b: str
    vantage_a: str | None
    vantage_b: str | None
    #: ``list/term/variant``: the key without platform and vantage.
    term: str
    query: str | None
    kind: ContrastKind
    a: Side | None
    b: Side | None

    @property
    def column(self) -> str:
        """Which comparison this is: ``bing_cn vs bing @local``, or ``weibo@beijing vs
        wikipedia_zh@vps-us`` across vantage points."""
        if self.vantage_a == self.vantage_b:
            return f"{self.platform_a} vs {self.platform_b} @{self.vantage_a}"
        a, b = self.vantage_a or "–", self.vantage_b or "–"
        return f"{self.platform_a}@{a} vs {self.platform_b}@{b}"

    def describe(self) -> str:
        return self.kind.describe(self.platform_a, self.platform_b)

    def row(self) -> dict[str, Any]:
        row: dict[str, Any] = {
            "kind": str(self.kind),
            "platform_a": self.platform_a,
            "platform_b": self.platform_b,
            "vantage_a": self.vantage_a,
            "vantage_b": self.vantage_b,
            "term": self.term,
            "query": self.query,
        }
        for name, side in (("a", self.a), ("b", self.b)):
            for field in Side._fields:
                row[f"{name}_{field}"] = getattr(side, field) if side else None
        return row

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in self.row().items() if not k.startswith(("a_", "b_"))}
        data["a"] = self.a._asdict() if self.a else None
        data["b"] = self.b._asdict() if self.b else None
        return data


CONTRAST_COLUMNS = [
    "kind",
    "platform_a",
    "platform_b",
    "vantage_a",
    "vantage_b",
    "term",
    "query",
    *(f"{s}_{f}" for s in "ab" for f in Side._fields),
]


@dataclass(frozen=True)
class PlatformComparison:
    """Every pair compared in one run: the rows worth reading and the counts of every kind."""

    run_id: str
    pairs: tuple[tuple[str, str], ...]
    #: Every kind but ``visible_on_both`` (counted only), by pair, vantage and term.
    contrasts: tuple[Contrast, ...]
    #: ``column`` (see :attr:`Contrast.column`) -> kind -> how many terms.
    counts: dict[str, dict[str, int]]
    #: ``column`` -> the pair of platforms it compares.
    column_pairs: dict[str, tuple[str, str]]

    def summary(self, column: str) -> str:
        """``hidden on bing_cn, found on bing 3 · visible on both 10 ...`` (kinds with terms)."""
        a, b = self.column_pairs[column]
        counts = self.counts[column]
        return " · ".join(
            f"{ContrastKind(kind).describe(a, b)} {n}" for kind, n in counts.items() if n
        )

    def of_kind(self, *kinds: ContrastKind) -> list[Contrast]:
        return [c for c in self.contrasts if c.kind in kinds]

    def rows(self) -> list[dict[str, Any]]:
        return [contrast.row() for contrast in self.contrasts]

    def to_json(self) -> dict[str, Any]:
        return {
            "run": self.run_id,
            "pairs": [list(pair) for pair in self.pairs],
            "counts": self.counts,
            "contrasts": [contrast.to_json() for contrast in self.contrasts],
        }


def parse_pair(text: str) -> tuple[str, str]:
    """``bing_cn:bing`` -> ``("bing_cn", "bing")``; ValueError for anything else."""
    a, colon, b = text.partition(":")
    if not colon or not a.strip() or not b.strip() or ":" in b:
        raise ValueError(f"pair {text!r}: expected CENSORING:TWIN, e.g. bing_cn:bing")
    if a.strip() == b.strip():
        raise ValueError(f"pair {text!r}: a platform is not compared with itself")
    return a.strip(), b.strip()


_SIDE = Side._fields

_COMPARE = """
WITH observed AS (
    SELECT * FROM (
        SELECT {term} AS t, key, platform, vantage, verdict, signal,
               {confidence} AS confidence, error.kind AS error_kind, result_count, query,
               started_at
        FROM {source} WHERE {filters}
    ) QUALIFY row_number() OVER (PARTITION BY key ORDER BY started_at DESC) = 1
), pairs AS (
    SELECT unnest($pair_a) AS pa, unnest($pair_b) AS pb
), a AS (
    SELECT observed.*, pa, pb FROM observed JOIN pairs ON platform = pa
), b AS (
    SELECT observed.*, pa, pb FROM observed JOIN pairs ON platform = pb
    WHERE {reference}
)
SELECT
    CASE
        WHEN a.t IS NULL THEN 'only_on_b'
        WHEN b.t IS NULL THEN 'only_on_a'
        WHEN a.verdict = 'error' OR b.verdict = 'error' THEN 'inconclusive'
        WHEN a.verdict = 'censored' AND b.verdict = 'censored' THEN 'hidden_on_both'
        WHEN a.verdict = 'censored' AND coalesce(b.result_count, 1) <> 0 THEN 'hidden_on_a'
        WHEN a.verdict = 'censored' THEN 'not_found_on_b'
        WHEN b.verdict = 'censored' THEN 'hidden_on_b'
        ELSE 'visible_on_both'
    END AS kind,
    coalesce(a.pa, b.pa), coalesce(a.pb, b.pb), a.vantage, b.vantage, coalesce(a.t, b.t),
    coalesce(a.query, b.query), {sides}
FROM a FULL OUTER JOIN b ON a.pa = b.pa AND a.pb = b.pb AND a.t = b.t AND {same_vantage}
ORDER BY 2, 3, 4 NULLS LAST, 5 NULLS LAST, 6
"""


def _side(verdict: str | None, *rest: Any) -> Side | None:
    return None if verdict is None else Side(verdict, *rest)


def _platforms(query: ObservationSql, snapshot: Snapshot) -> set[str]:
    source = query.observations("platforms", [snapshot.observations], ["platform"])
    sql = f"SELECT DISTINCT platform FROM {source} WHERE platform IS NOT NULL"
    return {row[0] for row in connect().execute(sql, query.parameters).fetchall()}


def compare_platforms(
    snapshot: Path | Snapshot,
    pairs: Iterable[tuple[str, str]] | None = None,
    *,
    reference_vantage: str | None = None,
    filters: Filters = EVERYTHING,
) -> PlatformComparison:
    """Compare each pair (A censoring, B its twin) of platforms the run probed, term by term.

    ``pairs`` default to :data:`DEFAULT_PAIRS`; those whose two platforms the run did not
    both probe are left out, and a ValueError says so when none is left.
    """
    run = snapshot if isinstance(snapshot, Snapshot) else Snapshot.open(snapshot)
    wanted = list(DEFAULT_PAIRS if pairs is None else pairs)
    probed = _platforms(ObservationSql(), run)
    chosen = tuple(pair for pair in wanted if set(pair) <= probed)
    if not chosen:
        names = ", ".join(f"{a}:{b}" for a, b in wanted) or "none"
        raise ValueError(
            f"run {run.run_id} probed {', '.join(sorted(probed)) or 'nothing'}: none of the "
            f"platform pairs ({names}) has both platforms; name one with --pair A:B"
        )
    query = ObservationSql()
    query.bind("pair_a", [a for a, _ in chosen])
    query.bind("pair_b", [b for _, b in chosen])
    columns = ["vantage", "verdict", "signal", "confidence", "error", "result_count", "query"]
    source = query.observations(
        "files", [run.observations], [*FILTER_COLUMNS, *columns, "started_at"]
    )
    if reference_vantage is None:
        reference, same_vantage = "true", "a.vantage = b.vantage"
    else:
        query.bind("reference", reference_vantage)
        reference, same_vantage = "vantage = $reference", "true"
    sql = _COMPARE.format(
        term=Key.sql_without("platform", "vantage"),
        same_vantage=same_vantage,
        confidence=confidence_sql(),
        source=source,
        filters=filters.sql(query),
        reference=reference,
        sides=", ".join(f"{s}.{f}" for s in "ab" for f in _SIDE),
    )
    rows = connect().execute(sql, query.parameters).fetchall()
    width = len(_SIDE)
    counts: dict[str, Counter[str]] = {}
    column_pairs: dict[str, tuple[str, str]] = {}
    contrasts = []
    for kind, pa, pb, va, vb, term_key, text, *values in rows:
        # A side probed alone still belongs to its comparison: same vantage, or the reference.
        vb = vb or reference_vantage or va
        va = va or (vb if reference_vantage is None else None)
        contrast = Contrast(
            pa,
            pb,
            va,
            vb,
            term_key,
            text,
            ContrastKind(kind),
            _side(*values[:width]),
            _side(*values[width:]),
        )
        counts.setdefault(contrast.column, Counter())[kind] += 1
        column_pairs[contrast.column] = (pa, pb)
        if contrast.kind not in _COUNTED_ONLY:
            contrasts.append(contrast)
    return PlatformComparison(
        run.run_id,
        chosen,
        tuple(contrasts),
        {column: {str(k): c[k] for k in ContrastKind} for column, c in counts.items()},
        column_pairs,
    )
