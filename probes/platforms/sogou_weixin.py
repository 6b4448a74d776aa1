"""Sogou WeChat article search: ``GET https://weixin.sogou.com/weixin?type=2&query=<query>``.

The only public search over WeChat official-account articles. An HTML page: results are
``ul.news-list > li`` (title ``div.txt-box h3 a``, account ``div.s-p a.account``), the total
is in ``<resnum id="scd_num">``; nothing found shows ``div.no-sosuo`` (older) or
``#noresult_part1_container``. Sogou's withholding notice sits in
``<div class="topqc" id="orderblack_tip_black_container">``: over results it is a partial
notice, over an empty list a full one. The anti-spider page (``/antispider/``, a captcha
form) is ``captcha``.

Needs: nothing, but Sogou trips its anti-spider page quickly for clients without its
``SNUID`` cookie; give one, if you have it, with ``censorprobe run --headers FILE``.

Pacing: one request every 5 seconds.

Limits: soft censorship is judged by account: articles by the accounts in
``probes/allowlists/cn-official-accounts.txt`` count as their organisation's domain. Result
links are Sogou's ``/link?url=`` redirects, not the article addresses. Fixtures are
synthetic.
"""

from __future__ import annotations

import dataclasses
import re

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.contract import Adapter, Case, Pacing, Query, ResultPage
from probes.jsonapi import official_source, plain_text
from probes.outcome import ErrorKind, Item, Outcome, Signal, Verdict

__all__ = ["SogouWeixinAdapter"]

_SITE = "https://weixin.sogou.com"
_DOMAIN = "mp.weixin.qq.com"
_DIGITS = re.compile(r"[\d,]+")


def _item(node: LexborNode) -> Item | None:
    link = node.css_first("div.txt-box h3 a")
    if link is None:
        return None
    href = link.attributes.get("href") or ""
    account = node.css_first("div.s-p a.account, span.all-time-y2")
    return Item(
        title=plain_text(link.text(strip=True)),
        url=f"{_SITE}{href}" if href.startswith("/") else href,
        source=official_source(account.text(strip=True) if account else "", _DOMAIN),
    )


def _total(tree: LexborHTMLParser) -> int | None:
    node = tree.css_first("resnum#scd_num")
    found = _DIGITS.search(node.text()) if node else None
    return int(found.group().replace(",", "")) if found else None


class SogouWeixinAdapter(Adapter):
    name = "sogou_weixin"
    version = "1.0"
    default_base_url = _SITE
    pacing = Pacing(rate=0.2, burst=1)
    allowlist_name = "cn-official"
    cases = (
        Case("results.synthetic.html", Verdict.VISIBLE, count=12345, query="天气"),
        Case("notice.synthetic.html", Verdict.CENSORED, Signal.NOTICE, count=0, query="习近平"),
        Case(
            "partial.synthetic.html", Verdict.CENSORED, Signal.PARTIAL_NOTICE, count=2, query="六四"
        ),
        Case(
            "no-result.synthetic.html", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="白纸"
        ),
        Case("soft.synthetic.html", Verdict.CENSORED, Signal.SOFT, count=2, query="新疆"),
        Case("antispider.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case(
            "antispider.synthetic.html",
            Verdict.ERROR,
            error=ErrorKind.CAPTCHA,
            status=302,
            headers={"Location": "https://weixin.sogou.com/antispider/?from=%2Fweixin%3Ftype%3D2"},
        ),
        Case("unknown.synthetic.html", Verdict.ERROR, error=ErrorKind.PARSE),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request(
            "GET",
            f"{self.base_url}/weixin",
            params={"type": "2", "query": query.text, "ie": "utf8"},
        )

    def _classify(self, query: Query, response: httpx.Response) -> Outcome:
        outcome = super()._classify(query, response)
        if outcome.signal is Signal.PARTIAL_NOTICE and not outcome.items:
            return dataclasses.replace(outcome, signal=Signal.NOTICE)
        return outcome

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        tree = LexborHTMLParser(body)
        nodes = tree.css("ul.news-list > li")
        if not nodes:
            empty = tree.css_first("div.no-sosuo, #noresult_part1_container")
            return ResultPage(0) if empty is not None else None
        items = tuple(item for item in map(_item, nodes) if item is not None)
        total = _total(tree)
        return ResultPage(max(total or 0, len(items)), items)
