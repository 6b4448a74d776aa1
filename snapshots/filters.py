"""Which observations a reader looks at: by platform, category, list or term (all optional)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from snapshots.duck import ObservationSql

__all__ = ["EVERYTHING", "FILTER_COLUMNS", "Filters"]

#: The observation columns the filters need, for ``ObservationSql.observations``.
FILTER_COLUMNS = ("platform", "term")


@dataclass(frozen=True)
class Filters:
    """Empty fields match everything; ``terms`` are term ids."""

    platforms: Sequence[str] = ()
    categories: Sequence[str] = ()
    lists: Sequence[str] = ()
    terms: Sequence[str] = ()

    def sql(self, query: ObservationSql, prefix: str = "filter") -> str:
        """A DuckDB condition over an observation relation; values are bound, never pasted."""
        conditions = ["true"]
        for name, column, values in (
            ("platforms", "platform", self.platforms),
            ("categories", "term.category", self.categories),
            ("lists", "term.list", self.lists),
            ("terms", "term.id", self.terms),
        ):
            if values:
                placeholder = query.bind(f"{prefix}_{name}", list(values))
                conditions.append(f"list_contains({placeholder}, {column})")
        return " AND ".join(conditions)


#: The filters that match every observation.
EVERYTHING = Filters()
