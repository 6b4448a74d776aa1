"""Douyin: ``GET https://www.douyin.com/aweme/v1/web/general/search/single/?keyword=<query>``.

JSON ``{"status_code": 0, "data": [{"type": 1, "aweme_info": {"aweme_id", "desc",
"author": {"nickname"}}}, ...], "has_more": 1}``, as the Douyin web client and public
scrapers read it. Douyin gives no total, so the count is the videos on the first page.

Refusals: an empty 200 answer (the request was not signed) and
``search_nil_info.search_nil_type == "verify_check"`` (Douyin asks for its slider
verification) are ``captcha``, as is the verification page (its title matches
``common.yaml``); any other non-zero ``status_code`` is ``parse`` with Douyin's message.
An answer with no videos is ``zero_results``.

Needs, honestly: the web client signs every search (``msToken``, ``a_bogus``, computed by
obfuscated JavaScript) and sends cookies (``ttwid``, ``s_v_web_id``). This adapter computes
no signature, so against the real site it records ``captcha`` errors, never censorship; it is
useful with a signing proxy given as ``--base-url`` and cookies given with
``censorprobe run --headers FILE``.

Pacing: one request every 5 seconds.

Limits: no Douyin notice wording could be found documented (the usual mainland wordings are
fingerprinted in case it shows one); Citizen Lab's "Missing Links" (2023) saw Douyin's
censorship mostly as soft, judged here by author (``cn-official-accounts.txt``). Fixtures are
synthetic.
"""

from __future__ import annotations

from typing import Any

import httpx

from probes.contract import Case, Pacing, Query, ResultPage
from probes.jsonapi import JsonApiAdapter, official_source, plain_text
from probes.outcome import ErrorKind, Item, Outcome, Signal, Verdict

__all__ = ["DouyinAdapter"]

_DOMAIN = "douyin.com"


def _item(entry: dict[str, Any]) -> Item | None:
    video = entry.get("aweme_info")
    if not isinstance(video, dict):
        return None
    author = video.get("author")
    nickname = author.get("nickname", "") if isinstance(author, dict) else ""
    return Item(
        title=plain_text(str(video.get("desc", ""))),
        url=f"https://www.douyin.com/video/{video.get('aweme_id', '')}",
        source=official_source(str(nickname), _DOMAIN),
    )


class DouyinAdapter(JsonApiAdapter):
    name = "douyin"
    version = "1.0"
    default_base_url = "https://www.douyin.com"
    pacing = Pacing(rate=0.2, burst=1)
    allowlist_name = "cn-official"
    #: Citizen Lab, "Missing Links" (2023): hard (no results) and soft censorship on Douyin.
    silent_censorship = frozenset({Signal.ZERO_RESULTS, Signal.SOFT})
    cases = (
        Case("results.synthetic.json", Verdict.VISIBLE, count=3, query="天气"),
        Case("empty.synthetic.json", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="白纸"),
        Case("soft.synthetic.json", Verdict.CENSORED, Signal.SOFT, count=2, query="新疆"),
        Case("empty-body.synthetic.txt", Verdict.ERROR, error=ErrorKind.CAPTCHA, note="unsigned"),
        Case("verify-check.synthetic.json", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("verify.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("status-error.synthetic.json", Verdict.ERROR, error=ErrorKind.PARSE),
    )

    def request(self, query: Query) -> httpx.Request:
        params = {
            "device_platform": "webapp",
            "aid": "6383",
            "search_channel": "aweme_general",
            "keyword": query.text,
            "sort_type": "0",
            "publish_time": "0",
            "offset": "0",
            "count": "10",
        }
        return httpx.Request(
            "GET",
            f"{self.base_url}/aweme/v1/web/general/search/single/",
            params=params,
            headers={"Accept": "application/json"},
        )

    def _classify(self, query: Query, response: httpx.Response) -> Outcome:
        if response.status_code == 200 and not response.content.strip():
            return Outcome.failed(ErrorKind.CAPTCHA, "empty answer: the request was not signed")
        return super()._classify(query, response)

    def api_error(self, data: dict[str, Any], response: httpx.Response) -> Outcome | None:
        nil = data.get("search_nil_info")
        if isinstance(nil, dict) and nil.get("search_nil_type") == "verify_check":
            return Outcome.failed(ErrorKind.CAPTCHA, "search_nil_type=verify_check")
        code = data.get("status_code")
        if code in (0, None):
            return None
        return Outcome.failed(ErrorKind.PARSE, f"status_code={code}: {data.get('status_msg', '')}")

    def parse_data(self, query: Query, data: dict[str, Any]) -> ResultPage | None:
        entries = data.get("data")
        if data.get("status_code") != 0:
            return None
        if entries is None and isinstance(data.get("search_nil_info"), dict):
            return ResultPage(0)
        if not isinstance(entries, list):
            return None
        items = tuple(
            item for item in (_item(e) for e in entries if isinstance(e, dict)) if item is not None
        )
        return ResultPage(len(items), items)
