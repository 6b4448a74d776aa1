"""What a run tells whoever watches it, per platform: probes sent, answered, committed.

A probe is *answered* when its last attempt (and any confirmation) came back, and
*committed* only once the control check after it has answered too
(:mod:`runners.execution.controls`): with ``control_every`` 50 a view that counted only
commits would sit still for a whole window while requests flow. The CLI draws these counts
(:mod:`runners.cli.display`); the runner only calls the methods below.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

__all__ = ["PlatformProgress", "RunWatcher"]


@dataclass
class PlatformProgress:
    """The counts of one platform, and what they say about the time left."""

    total: int
    #: Requests per second the pacing allows (0: unpaced).
    rate: float
    sent: int = 0
    answered: int = 0
    committed: int = 0
    started: float = field(default_factory=time.monotonic)

    def eta_seconds(self, now: float | None = None) -> float | None:
        """Seconds until every probe is answered: from the pace answers came at, or, before
        there are enough of them, from the pacing (None when neither tells)."""
        left = max(self.total - self.answered, 0)
        if left == 0:
            return 0.0
        elapsed = (now if now is not None else time.monotonic()) - self.started
        if self.answered >= 5 and elapsed > 0:
            return left / (self.answered / elapsed)
        return left / self.rate if self.rate > 0 else None


class RunWatcher:
    """Told by the runner as a run goes; every method is a no-op here (override to watch)."""

    def __init__(self) -> None:
        self.platforms: dict[str, PlatformProgress] = {}

    def begin(self, platform: str, total: int, rate: float) -> None:
        """``platform`` starts with ``total`` probes to ask at ``rate`` requests a second."""
        self.platforms[platform] = PlatformProgress(total, rate)

    def sent(self, platform: str) -> None:
        if platform in self.platforms:
            self.platforms[platform].sent += 1

    def answered(self, platform: str) -> None:
        if platform in self.platforms:
            self.platforms[platform].answered += 1

    def committed(self, observation: dict[str, Any]) -> None:
        platform = observation.get("platform")
        if observation.get("role") != "control" and platform in self.platforms:
            self.platforms[str(platform)].committed += 1
