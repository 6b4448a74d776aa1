"""The Bilibili personality: the search API at ``/x/web-interface/search/all/v2?keyword=``.

Answers ``{"code": 0, "data": {"numResults": ..., "result": [... {"result_type": "video"}]}}``
as ``probes.platforms.bilibili`` reads it (``/search/type`` is answered the same way). Bilibili shows no
notice: a withheld term (``notice``) comes back empty with ``in_black_key`` set, partial
withholding shows the reduced results without a word, an empty search is empty, and
allow-listed sources appear as videos by their official accounts. The captcha fault is the
``-352`` risk-control answer, the login fault ``-101`` (not logged in).
"""

from __future__ import annotations

import hashlib
from typing import Any

from aiohttp import web

from testbed.pages import Page, PageKind, SyntheticItem
from testbed.personalities._official import account_for

__all__ = ["PERSONALITY"]

_PREFIX = "/x/web-interface/search/"
_PAGE_SIZE = 20


def _video(item: SyntheticItem) -> dict[str, Any]:
    aid = int.from_bytes(hashlib.sha256(item.url.encode()).digest()[:5], "big")
    return {
        "type": "video",
        "id": aid,
        "aid": aid,
        "bvid": f"BV1{aid:x}",
        "author": account_for(item.source),
        "mid": aid % 10**9,
        "title": f'<em class="keyword">{item.title}</em>',
        "arcurl": f"http://www.bilibili.com/video/av{aid}",
        "description": item.url,
    }


def _answer(page: Page, videos: list[dict[str, Any]], black: int) -> dict[str, Any]:
    count = 0 if page.kind in (PageKind.NOTICE, PageKind.ZERO_RESULTS) else page.result_count
    count = min(count, 1000)
    return {
        "code": 0,
        "message": "0",
        "ttl": 1,
        "data": {
            "seid": str(hashlib.sha256(page.query.encode()).hexdigest()[:16]),
            "page": 1,
            "pagesize": _PAGE_SIZE,
            "numResults": count,
            "numPages": -(-count // _PAGE_SIZE),
            "rqt_type": "search",
            "in_black_key": black,
            "in_white_key": 0,
            "result": [
                {"result_type": "bili_user", "data": []},
                {"result_type": "video", "data": videos},
            ],
        },
    }


class Bilibili:
    name = "bilibili"
    operator = None  # no OR known for its search
    renders_as = {PageKind.NOTICE: PageKind.ZERO_RESULTS, PageKind.PARTIAL_NOTICE: PageKind.RESULTS}

    def query_of(self, request: web.Request) -> str | None:
        return request.query.get("keyword") if request.path.startswith(_PREFIX) else None

    def render(self, page: Page) -> web.Response:
        hidden = page.kind in (PageKind.NOTICE, PageKind.ZERO_RESULTS)
        videos = [] if hidden else [_video(item) for item in page.items]
        black = 1 if page.kind is PageKind.NOTICE else 0
        return web.json_response(_answer(page, videos, black))

    def captcha(self) -> web.Response:
        return web.json_response(
            {"code": -352, "message": "风控校验失败", "ttl": 1, "data": {"v_voucher": "voucher_tb"}}
        )

    def login(self) -> web.Response:
        return web.json_response({"code": -101, "message": "账号未登录", "ttl": 1})


PERSONALITY = Bilibili()
