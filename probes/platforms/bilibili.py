"""Bilibili: ``GET https://api.bilibili.com/x/web-interface/search/all/v2?keyword=<query>``.

JSON ``{"code": 0, "data": {"numResults": N, "result": [{"result_type": "video", "data":
[...]}, ...]}}`` (documented by SocialSisterYi/bilibili-API-collect); the count is
``data.numResults`` (capped at 1000 by Bilibili), the items the ``video`` group.

Bilibili shows no notice for a withheld term: the search just comes back empty (Citizen Lab's
"Missing Links", 2023, found Bilibili hiding all results for its blocked keywords), so a
withheld term reads ``zero_results``, and only the controls tell it from a rare term. The
answer also carries ``in_black_key``/``in_white_key`` flags, whose meaning is undocumented;
they stay in the recorded evidence and are not interpreted. Notice wordings are
fingerprinted anyway in case Bilibili ever shows one.

API codes: ``-412`` (risk control, "request was banned") and ``-509``/``-799`` (too
frequent) are ``rate_limited``; ``-352`` (risk-control verification) is ``captcha``;
``-101`` (not logged in) is ``login_wall``; any other non-zero code is ``parse`` with the
code and message as detail.

Needs: since 2022 the API answers ``-412`` to clients without a ``buvid3`` cookie, and the
web client signs requests (WBI ``w_rid``/``wts``) on the ``/wbi/`` path; this adapter sends
neither. Give a cookie, if you have one, with ``censorprobe run --headers FILE``.

Pacing: one request every 5 seconds.

Limits: partial censorship (some results removed silently) cannot be seen. Soft censorship is
judged by uploader: videos by accounts in ``probes/allowlists/cn-official-accounts.txt``
count as their organisation's domain. Fixtures are synthetic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx

from probes.contract import Case, Pacing, Query, ResultPage
from probes.jsonapi import JsonApiAdapter, official_source, plain_text
from probes.outcome import ErrorKind, Item, Outcome, Signal, Verdict

__all__ = ["BilibiliAdapter"]

_DOMAIN = "bilibili.com"
_CODES: dict[int, ErrorKind] = {
    -412: ErrorKind.RATE_LIMITED,
    -509: ErrorKind.RATE_LIMITED,
    -799: ErrorKind.RATE_LIMITED,
    -352: ErrorKind.CAPTCHA,
    -101: ErrorKind.LOGIN_WALL,
}


def _videos(groups: list[Any]) -> Iterator[dict[str, Any]]:
    for group in groups:
        if isinstance(group, dict) and group.get("result_type") == "video":
            yield from (entry for entry in group.get("data") or [] if isinstance(entry, dict))


def _item(video: dict[str, Any]) -> Item:
    bvid = str(video.get("bvid") or "")
    url = f"https://www.bilibili.com/video/{bvid}" if bvid else str(video.get("arcurl", ""))
    return Item(
        title=plain_text(str(video.get("title", ""))),
        url=url,
        source=official_source(str(video.get("author", "")), _DOMAIN),
    )


class BilibiliAdapter(JsonApiAdapter):
    name = "bilibili"
    version = "1.0"
    default_base_url = "https://api.bilibili.com"
    pacing = Pacing(rate=0.2, burst=1)
    allowlist_name = "cn-official"
    cases = (
        Case("results.synthetic.json", Verdict.VISIBLE, count=1000, query="洛天依"),
        Case("empty.synthetic.json", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="六四"),
        Case("soft.synthetic.json", Verdict.CENSORED, Signal.SOFT, count=2, query="新疆"),
        Case("banned.synthetic.json", Verdict.ERROR, error=ErrorKind.RATE_LIMITED),
        Case("banned.synthetic.json", Verdict.ERROR, error=ErrorKind.RATE_LIMITED, status=412),
        Case("verify.synthetic.json", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("login.synthetic.json", Verdict.ERROR, error=ErrorKind.LOGIN_WALL),
        Case("bad-request.synthetic.json", Verdict.ERROR, error=ErrorKind.PARSE),
        Case("results.synthetic.json", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=502),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request(
            "GET",
            f"{self.base_url}/x/web-interface/search/all/v2",
            params={"keyword": query.text},
            headers={"Accept": "application/json"},
        )

    def api_error(self, data: dict[str, Any], response: httpx.Response) -> Outcome | None:
        code = data.get("code")
        if code in (0, None):
            return None
        detail = f"code={code}: {data.get('message', '')}"
        kind = _CODES.get(code, ErrorKind.PARSE) if isinstance(code, int) else ErrorKind.PARSE
        return Outcome.failed(kind, detail)

    def parse_data(self, query: Query, data: dict[str, Any]) -> ResultPage | None:
        payload = data.get("data")
        if data.get("code") != 0 or not isinstance(payload, dict):
            return None
        groups, total = payload.get("result") or [], payload.get("numResults")
        if not isinstance(groups, list) or not isinstance(total, int):
            return None
        items = tuple(_item(video) for video in _videos(groups))
        return ResultPage(max(total, len(items)), items)
