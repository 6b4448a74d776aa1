"""How sure a censored verdict is, read the same way by diff, timeline and report.

An observation carries ``confidence`` (``snapshots.format``; ``results/README.md``):
``confirmed`` (the platform said so, or a confirmation passed) or ``suspected`` (a silent
signal nobody confirmed). Snapshots written before verdicts carried a confidence lack the
field: there an explicit notice is ``confirmed`` and a silent signal ``suspected``, the rule
the runner applies to a silent signal it could not confirm (docs/architecture.md, Verdicts).
"""

from __future__ import annotations

__all__ = ["CONFIRMED", "EXPLICIT_SIGNALS", "SUSPECTED", "confidence_of", "confidence_sql"]

CONFIRMED = "confirmed"
SUSPECTED = "suspected"
#: Signals in which the platform itself says results are withheld.
EXPLICIT_SIGNALS = ("notice", "partial_notice")


def confidence_of(verdict: str | None, signal: str | None, confidence: str | None) -> str | None:
    """The confidence of a verdict: None unless censored."""
    if verdict != "censored":
        return None
    if confidence:
        return confidence
    return CONFIRMED if signal in EXPLICIT_SIGNALS else SUSPECTED


def confidence_sql(prefix: str = "") -> str:
    """The same rule as a DuckDB expression over ``verdict``, ``signal``, ``confidence``."""
    explicit = ", ".join(f"'{signal}'" for signal in EXPLICIT_SIGNALS)
    return (
        f"CASE WHEN {prefix}verdict = 'censored' THEN coalesce({prefix}confidence,"
        f" CASE WHEN {prefix}signal IN ({explicit}) THEN '{CONFIRMED}'"
        f" ELSE '{SUSPECTED}' END) END"
    )
