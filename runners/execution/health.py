"""Whether a run measured anything useful: what unattended runs exit non-zero on.

A run that ends ``complete`` can still have measured nothing: every probe an error, or so
many that its terms tell little. A platform whose first control check got no answer was not
probed at all (:attr:`runners.execution.controls.CheckResult.unanswered`). The summary warns, and
``censorprobe run`` / ``run-profile`` exit 3, past :data:`MAX_ERROR_SHARE`.
"""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["MAX_ERROR_SHARE", "shortfalls"]

#: Share of a platform's probes that may be errors before a run's terms are doubtful.
MAX_ERROR_SHARE = 0.05


class _Measured(Protocol):
    counts: dict[str, Any]
    aborted: dict[str, str]


def shortfalls(result: _Measured, max_error_share: float = MAX_ERROR_SHARE) -> list[str]:
    """Why the run measured nothing useful, one line per platform; empty if it did."""
    problems = [f"{platform}: {reason}" for platform, reason in sorted(result.aborted.items())]
    for platform, row in sorted(result.counts.items()):
        if platform in result.aborted:
            continue
        probes, errors = row["probes"], sum(row["error"].values())
        if not probes:
            continue
        if errors == probes:
            problems.append(f"{platform}: every probe ({probes}) is an error")
        elif errors / probes > max_error_share:
            problems.append(
                f"{platform}: {errors} of {probes} probes are errors ({errors / probes:.0%}), "
                f"above --max-error-share {max_error_share:.0%}"
            )
    if not problems and not any(row["probes"] for row in result.counts.values()):
        problems.append("no probe was measured")
    return problems
