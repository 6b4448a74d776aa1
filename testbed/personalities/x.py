"""The X personality: API v2 recent search at ``/2/tweets/search/recent?query=``.

Answers ``{"data": [{"id", "text", "author_id", "created_at"}], "meta": {"result_count": N}}``
as ``probes.platforms.x`` reads it, ``{"meta": {"result_count": 0}}`` when nothing is found.
X hides no search terms; it withholds posts in some countries and still returns them, marked
``withheld``: a ``partial_notice`` rule marks every other post withheld in CN. A ``notice`` rule
can only show as an empty answer, a ``soft`` one as ordinary posts. The API has no captcha: both
wall faults are its credential refusals (401, 403).
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from testbed.pages import Page, PageKind, SyntheticItem

__all__ = ["PERSONALITY"]


def _post(index: int, item: SyntheticItem, withheld: bool) -> dict[str, Any]:
    digest = int.from_bytes(hashlib.sha256(item.url.encode()).digest()[:7], "big")
    post: dict[str, Any] = {
        "id": str(10**18 + digest),
        "text": item.title,
        "author_id": str(digest % 10**9),
        "created_at": "2026-12-01T08:00:00.000Z",
        "edit_history_tweet_ids": [str(10**18 + digest)],
    }
    if withheld and index % 2 == 0:
        post["withheld"] = {"copyright": False, "country_codes": ["CN"], "scope": "tweet"}
    return post


def _refusal(status: int, title: str, detail: str) -> web.Response:
    body = {"title": title, "detail": detail, "type": "about:blank", "status": status}
    return web.json_response(body, status=status)


class X:
    name = "x"
    operator = "OR"
    renders_as = {PageKind.NOTICE: PageKind.ZERO_RESULTS, PageKind.SOFT: PageKind.RESULTS}

    def query_of(self, request: web.Request) -> str | None:
        return request.query.get("query") if request.path == "/2/tweets/search/recent" else None

    def render(self, page: Page) -> web.Response:
        if page.kind in (PageKind.NOTICE, PageKind.ZERO_RESULTS) or not page.items:
            return web.json_response({"meta": {"result_count": 0}})
        withheld = page.kind is PageKind.PARTIAL_NOTICE
        posts = [_post(i, item, withheld) for i, item in enumerate(page.items)]
        meta = {
            "newest_id": posts[0]["id"],
            "oldest_id": posts[-1]["id"],
            "result_count": len(posts),
            "next_token": hashlib.sha256(page.query.encode()).hexdigest()[:20],
        }
        return web.json_response({"data": posts, "meta": meta})

    def captcha(self) -> web.Response:
        return _refusal(
            403, "Client Forbidden", "This request must be made using an approved developer account"
        )

    def login(self) -> web.Response:
        return _refusal(401, "Unauthorized", "Unauthorized")


PERSONALITY = X()
