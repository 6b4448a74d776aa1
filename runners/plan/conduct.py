"""Conduct (docs/architecture.md, "Conduct"): unpaced runs only against loopback, and no
run faster than an adapter's polite pacing unless asked for explicitly.

Checked before a snapshot is opened, against the endpoint each adapter will really use
(its default or the run's ``--base-url``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from probes.contract import Adapter
from runners.plan.config import RunConfig

__all__ = ["check_conduct", "is_loopback"]


def is_loopback(url: str) -> bool:
    """Whether ``url`` names this machine: ``localhost``, 127.0.0.0/8 or ``[::1]``."""
    host = (urlsplit(url).hostname or "").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_conduct(config: RunConfig, adapters: Mapping[str, Adapter]) -> None:
    """Raise ValueError for pacing that would be impolite to a platform that is not loopback."""
    for name, adapter in adapters.items():
        url = adapter.base_url
        if is_loopback(url):
            continue
        where = f"{name} ({config.redact(url)})"
        asked = ", ".join(
            f"{label} {value}"
            for label, value in (("rate", config.rate), ("burst", config.burst))
            if value is not None
        )
        if config.rate == 0:
            raise ValueError(
                f"--rate 0 (unpaced) is only for loopback endpoints, not {where}; "
                f"its polite pacing is {adapter.pacing.rate}/s"
            )
        polite = adapter.pacing
        faster = (config.rate is not None and config.rate > polite.rate) or (
            config.burst is not None and config.burst > polite.burst
        )
        if faster and not config.faster_than_polite:
            raise ValueError(
                f"{where}: {asked} is above its polite "
                f"pacing ({polite.rate}/s, burst {polite.burst}); pass --faster-than-polite "
                "(in a profile: pacing.faster_than_polite) to mean it (the manifest records it)"
            )
