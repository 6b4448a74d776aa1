"""Running measurements: keyword lists, planning, pacing, retries, controls, snapshots, the CLI."""

from __future__ import annotations

from .config import RunConfig
from .execute import Plan, RunResult, execute, make_plan
from .keywords import KeywordListsInvalid, load_lists

__all__ = [
    "KeywordListsInvalid",
    "Plan",
    "RunConfig",
    "RunResult",
    "execute",
    "load_lists",
    "make_plan",
]
