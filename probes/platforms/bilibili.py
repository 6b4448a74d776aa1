"""Bilibili: ``GET https://api.bilibili.com/x/web-interface/search/all/v2?keyword=<query>``.

JSON ``{"code": 0, "data": {"numResults": N, "result": [{"result_type": "video", "data":
[...]}, ...]}}`` (documented by SocialSisterYi/bilibili-API-collect); the count is
``data.numResults`` (capped at 1000 by Bilibili), the items the ``video`` group (or, in the
per-type search ``search/type?search_type=video``, the flat list of ``type: "video"`` entries).

Silent censorship: Bilibili shows no notice for a withheld term: the search just comes back
empty. Citizen Lab's "Missing Links" (2023) found Bilibili hiding all results for its blocked
keywords (hard censorship; citizenlab/chat-censorship ``search/rules/bilibili.txt``,
``search/people/bilibili.csv``) and reported no soft censorship there. So an empty answer is
``zero_results``, ``suspected``; a page of only official uploaders is ``visible``.

Truism: none known, so every ``zero_results`` stays ``suspected``. Bilibili documents no OR
operator. The form that would suit it — the term with a common word (``<term> 的``), if its
search lists videos matching any word of a query — rests on a guess about its ranking that no
recorded answer here shows; were the guess wrong (a search that needs every word), a rare
string would come back empty with the truism too and read as *confirmed* censorship, so it is
not used. The
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

Limits: partial censorship (some results removed silently) cannot be seen. Videos by accounts
in ``probes/allowlists/cn-official-accounts.txt`` carry their organisation's domain as source.
Fixtures are synthetic (the documentation's real answers are CC BY-NC).
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
    """Videos of the combined search (in the ``video`` group) or of the per-type one (flat)."""
    for group in groups:
        if not isinstance(group, dict):
            continue
        if group.get("result_type") == "video":
            yield from (entry for entry in group.get("data") or [] if isinstance(entry, dict))
        elif group.get("type") == "video":
            yield group


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
    silent_censorship = frozenset({Signal.ZERO_RESULTS})
    cases = (
        Case("results.synthetic.json", Verdict.VISIBLE, count=1000, query="洛天依"),
        Case("empty.synthetic.json", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="六四"),
        Case("search-type.synthetic.json", Verdict.VISIBLE, count=1000, query="少年"),
        Case(
            "soft.synthetic.json",
            Verdict.VISIBLE,
            count=2,
            query="新疆",
            note="only official uploaders, but no soft censorship is known on Bilibili",
        ),
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
