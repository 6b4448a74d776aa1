"""What the testbed decides to show for a query: deterministic synthetic results or a rule's effect."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from testbed.rules import Action, Rule

__all__ = ["PAGE_SIZE", "Page", "PageKind", "SyntheticItem", "page_for"]

_SOURCES = (
    "news.example.com",
    "forum.example.net",
    "blog.example.org",
    "wiki.example.io",
    "video.example.tv",
    "people.com.cn",
    "xinhuanet.com",
)
PAGE_SIZE = 10


class PageKind(StrEnum):
    RESULTS = "results"
    NOTICE = "notice"
    PARTIAL_NOTICE = "partial_notice"
    ZERO_RESULTS = "zero_results"
    SOFT = "soft"


@dataclass(frozen=True, slots=True)
class SyntheticItem:
    title: str
    url: str
    source: str


@dataclass(frozen=True, slots=True)
class Page:
    kind: PageKind
    query: str
    result_count: int
    items: tuple[SyntheticItem, ...]

    @property
    def full_notice(self) -> str:
        return f"根据相关法律法规和政策，“{self.query}”搜索结果未予显示。"

    partial_notice = "根据相关法律法规和政策，部分搜索结果未予显示。"


def _digest(query: str) -> int:
    return int.from_bytes(hashlib.sha256(query.encode("utf-8")).digest()[:8], "big")


def _items(query: str, count: int, sources: tuple[str, ...]) -> tuple[SyntheticItem, ...]:
    seed = _digest(query)
    items = []
    for index in range(min(count, PAGE_SIZE)):
        source = sources[(seed + index) % len(sources)] if index else sources[0]
        items.append(
            SyntheticItem(
                title=f"{query} — result {index + 1}",
                url=f"https://{source}/{seed % 100000}/{index}?q={quote(query)}",
                source=source,
            )
        )
    return tuple(items)


def page_for(query: str, rule: Rule | None, allowlist: tuple[str, ...]) -> Page:
    """The page a censoring search engine would show. Same query, same rule: same page."""
    seed = _digest(query)
    count = 50 + seed % 900_000
    if rule is None:
        # Visible results always include at least one non-official source first.
        open_sources = tuple(s for s in _SOURCES if s not in allowlist) or _SOURCES
        mixed = open_sources[:1] + _SOURCES
        return Page(PageKind.RESULTS, query, count, _items(query, count, mixed))
    if rule.action is Action.NOTICE:
        return Page(PageKind.NOTICE, query, 0, ())
    if rule.action is Action.ZERO_RESULTS:
        return Page(PageKind.ZERO_RESULTS, query, 0, ())
    if rule.action is Action.SOFT:
        soft_count = 1 + seed % 40
        return Page(PageKind.SOFT, query, soft_count, _items(query, soft_count, allowlist))
    partial = count // 3 + 1
    return Page(PageKind.PARTIAL_NOTICE, query, partial, _items(query, partial, _SOURCES))
