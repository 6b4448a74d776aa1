"""Allow-lists of official sources, as data files (``probes/allowlists/<name>.txt``).

A search whose every result comes from one of these domains is read as soft censorship.
One domain a line; ``#`` starts a comment; a domain also covers its subdomains.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

__all__ = ["load_allowlist", "in_allowlist"]


@cache
def load_allowlist(name: str) -> frozenset[str]:
    text = resources.files(__package__).joinpath("allowlists", f"{name}.txt").read_text("utf-8")
    domains = (line.split("#", 1)[0].strip().lower() for line in text.splitlines())
    return frozenset(domain for domain in domains if domain)


def in_allowlist(domain: str, allowlist: frozenset[str]) -> bool:
    """True when the domain or one of its parent domains is listed."""
    parts = domain.lower().split(".")
    return any(".".join(parts[i:]) in allowlist for i in range(len(parts)))
