"""Controls: benign terms that must be visible, checked around every window of probes.

Rule zero (docs/architecture.md, "Verdicts"): an error is never censorship. If a platform fails its controls
(they error, or come back censored or empty), nothing it said in that window can be read as
censorship, and ``zero_results`` only means censorship when controls did return results.
"""

from __future__ import annotations

from dataclasses import dataclass

from probes.outcome import ErrorKind, Outcome, Verdict

__all__ = ["NO_ANSWER", "CheckResult", "judge"]

#: Errors that mean the endpoint did not answer at all: a check that gets only these says
#: the platform is unreachable (from here), not that it failed its controls.
NO_ANSWER = frozenset({ErrorKind.TIMEOUT, ErrorKind.NETWORK, ErrorKind.HTTP_STATUS})


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One round of control probes on one platform."""

    number: int
    outcomes: tuple[Outcome, ...]

    @property
    def ok(self) -> bool:
        """At least one control returned results, and none was censored."""
        shown = any(
            o.verdict is Verdict.VISIBLE and (o.result_count or 0) > 0 for o in self.outcomes
        )
        hidden = any(o.verdict is Verdict.CENSORED for o in self.outcomes)
        return shown and not hidden

    @property
    def unanswered(self) -> bool:
        """Every control got no answer at all (:data:`NO_ANSWER`): nothing to probe after it."""
        return bool(self.outcomes) and all(
            o.verdict is Verdict.ERROR and o.error in NO_ANSWER for o in self.outcomes
        )

    @property
    def reason(self) -> str:
        readings = (
            ", ".join(o.signal or o.error or o.verdict for o in self.outcomes) or "no controls"
        )
        return f"controls check {self.number} failed ({readings})"


def judge(outcome: Outcome, opening: CheckResult, closing: CheckResult) -> Outcome:
    """The final outcome of a probe whose window the two checks bound."""
    if outcome.verdict is Verdict.ERROR:
        return outcome
    failed = [check for check in (opening, closing) if not check.ok]
    if not failed:
        return outcome
    reading = outcome.signal or outcome.verdict
    return outcome.demoted(
        ErrorKind.CONTROLS_FAILED, f"{failed[0].reason}; the probe itself read {reading}"
    )
