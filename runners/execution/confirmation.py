"""Confirming a silent signal: a withheld term told from a rare one.

An empty answer (``zero_results``) or one drawn only from official sources (``soft``) is also
what a platform gives for a term nobody writes about, or on a bad second. On such a signal the
runner sends, through the same prober (paced, retried, with evidence):

1. the term again, after ``RunConfig.reask_delay`` seconds: platforms return transient
   empties, and a term that now finds results is ``visible``;
2. Citizen Lab's *truism* ("Missing Links", 2023): a query that finds results for any text
   unless that text is filtered (:meth:`probes.contract.Adapter.truism`), with the term, and
   the truism alone as its control.

The result, kept on the observation as ``confirmation`` (format: results/README.md):

- ``cleared``: the term came back with results, or term + truism found results: nothing
  found, nothing withheld. The verdict becomes ``visible`` (count of the first answer).
- ``confirmed``: term + truism found nothing (or was censored) while the truism alone found
  results. The verdict stays ``censored``, ``confidence: confirmed``.
- ``unconfirmed``: no truism is known for the platform, or a confirmation probe failed, or the
  control found nothing. The verdict stays ``censored``, ``confidence: suspected``. An error in
  confirmation is never a confirmation.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from probes.contract import Adapter, Query
from probes.outcome import SILENT_SIGNALS, Confidence, Outcome, Verdict
from runners.execution.prober import Attempted

__all__ = ["Confirmation", "ConfirmationProbe", "Result", "Role", "confirm", "needs_confirmation"]


class Role(StrEnum):
    REASK = "reask"
    TRUISM = "truism"
    TRUISM_CONTROL = "truism_control"


class Result(StrEnum):
    CONFIRMED = "confirmed"
    CLEARED = "cleared"
    UNCONFIRMED = "unconfirmed"


class _Probing(Protocol):
    """What confirmation needs of a prober: its adapter, and a way to send a query."""

    adapter: Adapter

    async def probe(self, query: Query) -> Attempted: ...


@dataclass(frozen=True)
class ConfirmationProbe:
    role: Role
    query: Query
    result: Attempted

    def key(self, probe_key: str) -> str:
        """The key of this confirmation probe: its probe's key and its role."""
        return f"{probe_key}#{self.role.value}"

    def to_json(self, probe_key: str, evidence: dict[str, Any] | None) -> dict[str, Any]:
        outcome = self.result.outcome
        return {
            "role": self.role.value,
            "key": self.key(probe_key),
            "query": self.query.text,
            "verdict": outcome.verdict.value,
            "signal": outcome.signal.value if outcome.signal else None,
            "result_count": outcome.result_count,
            "error": outcome.error.value if outcome.error else None,
            "attempts": self.result.attempts,
            "evidence": evidence,
        }


@dataclass(frozen=True)
class Confirmation:
    result: Result
    reason: str
    probes: tuple[ConfirmationProbe, ...] = ()

    def to_json(self, probe_key: str, evidence: list[dict[str, Any] | None]) -> dict[str, Any]:
        """The ``confirmation`` field; ``evidence`` holds each probe's WARC reference, in order."""
        return {
            "result": self.result.value,
            "reason": self.reason,
            "probes": [
                probe.to_json(probe_key, ref)
                for probe, ref in zip(self.probes, evidence, strict=True)
            ],
        }


def needs_confirmation(outcome: Outcome) -> bool:
    """A censored verdict that rests on a silent signal only."""
    return (
        outcome.verdict is Verdict.CENSORED
        and outcome.signal in SILENT_SIGNALS
        and outcome.confidence is not Confidence.CONFIRMED
    )


def _found(outcome: Outcome) -> bool:
    """The platform showed results for the query, and did not hide them."""
    return outcome.verdict is Verdict.VISIBLE and bool(outcome.result_count or outcome.items)


def _failed(probes: tuple[ConfirmationProbe, ...]) -> ConfirmationProbe | None:
    return next((p for p in probes if p.result.outcome.verdict is Verdict.ERROR), None)


async def confirm(
    prober: _Probing, query: Query, first: Outcome, *, reask_delay: float
) -> tuple[Outcome, Confirmation]:
    """The verdict on ``query`` after confirming the silent signal of its ``first`` outcome."""
    await asyncio.sleep(reask_delay)
    reask = ConfirmationProbe(Role.REASK, query, await prober.probe(query))
    again = reask.result.outcome
    if _found(again):
        return again, Confirmation(
            Result.CLEARED, "the term found results when asked again", (reask,)
        )
    if again.verdict is Verdict.CENSORED and not needs_confirmation(again):
        return again, Confirmation(
            Result.CONFIRMED, "the platform said so when asked again", (reask,)
        )
    if again.verdict is Verdict.ERROR:
        return first, Confirmation(Result.UNCONFIRMED, f"re-ask failed: {again.error}", (reask,))

    adapter = prober.adapter
    with_term, alone = adapter.truism(query), adapter.truism(None)
    if with_term is None or alone is None:
        reason = f"no truism known for {adapter.name} (or the term does not fit one)"
        return first, Confirmation(Result.UNCONFIRMED, reason, (reask,))
    answers = await asyncio.gather(prober.probe(with_term), prober.probe(alone))
    truism = ConfirmationProbe(Role.TRUISM, with_term, answers[0])
    control = ConfirmationProbe(Role.TRUISM_CONTROL, alone, answers[1])
    probes = (reask, truism, control)
    failed = _failed((truism, control))
    if failed is not None:
        reason = f"{failed.role.value} failed: {failed.result.outcome.error}"
        return first, Confirmation(Result.UNCONFIRMED, reason, probes)
    if _found(truism.result.outcome):
        cleared = Outcome.visible(first.result_count or 0, first.items)
        reason = "term + truism found results: nothing withheld"
        return cleared, Confirmation(Result.CLEARED, reason, probes)
    if not _found(control.result.outcome):
        reason = "the truism alone found nothing: the platform cannot confirm"
        return first, Confirmation(Result.UNCONFIRMED, reason, probes)
    # Answered (no error), not found: empty or censored, while the truism alone finds results.
    reason = "term + truism found nothing while the truism alone found results"
    return first.confirmed(), Confirmation(Result.CONFIRMED, reason, probes)
