"""The Wikipedia personality: the MediaWiki search API at ``/w/api.php?list=search&srsearch=``.

Answers ``{"batchcomplete": "", "query": {"searchinfo": {"totalhits": N}, "search": [...]}}``
as ``probes.platforms.wikipedia`` reads it. Wikipedia filters no search term, so no rule can
show as such: a ``notice`` or ``zero_results`` rule shows as no hits, ``partial_notice`` and
``soft`` as ordinary hits. The captcha fault is the API's ``maxlag`` refusal (with
``Retry-After``), the login fault ``readapidenied``.
"""

from __future__ import annotations

from html import escape
from typing import Any

from aiohttp import web

from testbed.pages import Page, PageKind, SyntheticItem

__all__ = ["PERSONALITY"]


def _hit(index: int, item: SyntheticItem) -> dict[str, Any]:
    return {
        "ns": 0,
        "title": item.title,
        "pageid": 1000 + index,
        "size": 2048 + index,
        "wordcount": 300 + index,
        "snippet": f'<span class="searchmatch">{escape(item.title)}</span>',
        "timestamp": "2026-11-30T12:00:00Z",
    }


def _error(code: str, info: str, headers: dict[str, str] | None = None) -> web.Response:
    body = {"error": {"code": code, "info": info, "*": "See /w/api.php for API usage."}}
    return web.json_response(body, headers=headers)


class Wikipedia:
    name = "wikipedia"
    operator = "OR"
    renders_as = {
        PageKind.NOTICE: PageKind.ZERO_RESULTS,
        PageKind.PARTIAL_NOTICE: PageKind.RESULTS,
        PageKind.SOFT: PageKind.RESULTS,
    }

    def query_of(self, request: web.Request) -> str | None:
        if request.path != "/w/api.php" or request.query.get("list") != "search":
            return None
        return request.query.get("srsearch")

    def render(self, page: Page) -> web.Response:
        hidden = page.kind in (PageKind.NOTICE, PageKind.ZERO_RESULTS)
        hits = [] if hidden else [_hit(i, item) for i, item in enumerate(page.items)]
        total = 0 if hidden else page.result_count
        return web.json_response(
            {"batchcomplete": "", "query": {"searchinfo": {"totalhits": total}, "search": hits}}
        )

    def captcha(self) -> web.Response:
        return _error(
            "maxlag", "Waiting for a database server: 6 seconds lagged.", {"Retry-After": "1"}
        )

    def login(self) -> web.Response:
        return _error("readapidenied", "You need read permission to use this module.")


PERSONALITY = Wikipedia()
