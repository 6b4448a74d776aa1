"""Sogou WeChat article search: ``GET https://weixin.sogou.com/weixin?type=2&query=<query>``.

The only public search over WeChat official-account articles. An HTML page: results are
``ul.news-list > li`` (title ``div.txt-box h3 a``, account ``div.s-p a.account``); the total is
Sogou's own — ``div.mun`` "找到约57,817条结果<!--resultbarnum:57,817-->" on the real page
chyroc/WechatSogou recorded, ``<resnum id="scd_num">`` in scrapers' descriptions — never the
number of items on the page; nothing found shows ``div.no-sosuo`` (older) or
``#noresult_part1_container``. Sogou's withholding notice sits in
``<div class="topqc" id="orderblack_tip_black_container">``: over results it is a partial
notice, over an empty list a full one. The anti-spider page (``/antispider/``, a captcha
form) is ``captcha``.

Needs: nothing, but Sogou trips its anti-spider page quickly for clients without its
``SNUID`` cookie; give one, if you have it, with ``censorprobe run --headers FILE``.

Pacing: one request every 5 seconds.

Silent censorship: Citizen Lab's "Missing Links" (2023) found Sogou web search hiding terms
without a word, wholly (hard: citizenlab/chat-censorship ``search/people/sogou.csv``) or by
showing only authorised sources (soft: ``sogou-soft.csv``). WeChat article search is Sogou's
too; assumed, not measured, is that its filter is the same. So an empty answer is
``zero_results`` and articles only by official accounts are ``soft``, both ``suspected``.

Truism: none known. weixin.sogou.com documents no query operators; whether Sogou web's
``site:`` or an OR work there is not known, and an article's source is an account, not a
site, so no restriction to an unofficial source can be spelled. Silent verdicts stay
``suspected``.

Limits: soft censorship is judged by account: articles by the accounts in
``probes/allowlists/cn-official-accounts.txt`` count as their organisation's domain. Result
links are Sogou's ``/link?url=`` redirects (or, in 2017, signed ``mp.weixin.qq.com`` links),
not stable article addresses. Fixtures: a real results page and anti-spider page
(chyroc/WechatSogou, Apache-2.0), the others synthetic.
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
_RESULTBAR = re.compile(r"<!--resultbarnum:([\d,]+)-->")
_FOUND = re.compile(r"找到约?\s*([\d,]+)\s*条结果")


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


def _total(tree: LexborHTMLParser, body: str) -> int | None:
    """Sogou's own total: the result bar's comment, its text, or ``resnum#scd_num``."""
    bar = tree.css_first("div.mun")
    node = tree.css_first("resnum#scd_num")
    found = (
        _RESULTBAR.search(body)
        or (_FOUND.search(bar.text()) if bar else None)
        or (_DIGITS.search(node.text()) if node else None)
    )
    return int(found.group(found.lastindex or 0).replace(",", "")) if found else None


class SogouWeixinAdapter(Adapter):
    name = "sogou_weixin"
    version = "1.0"
    default_base_url = _SITE
    pacing = Pacing(rate=0.2, burst=1)
    allowlist_name = "cn-official"
    silent_censorship = frozenset({Signal.ZERO_RESULTS, Signal.SOFT})
    cases = (
        Case("results.synthetic.html", Verdict.VISIBLE, count=12345, query="天气"),
        Case(
            "chyroc-search-gaokao-article.html",
            Verdict.VISIBLE,
            count=57817,
            query="高考",
            note="real, 2017: ten articles of Sogou's 57,817",
        ),
        Case("notice.synthetic.html", Verdict.CENSORED, Signal.NOTICE, count=0, query="习近平"),
        Case(
            "partial.synthetic.html", Verdict.CENSORED, Signal.PARTIAL_NOTICE, count=2, query="六四"
        ),
        Case(
            "no-result.synthetic.html", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="白纸"
        ),
        Case("soft.synthetic.html", Verdict.CENSORED, Signal.SOFT, count=2, query="新疆"),
        Case("antispider.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("chyroc-antispider-gaokao.html", Verdict.ERROR, error=ErrorKind.CAPTCHA, query="高考"),
        Case(
            "chyroc-search-gaokao-gzh-type1.html",
            Verdict.ERROR,
            error=ErrorKind.PARSE,
            query="高考",
            note="real: the account search (type=1), not the article search this adapter asks",
        ),
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
        total = _total(tree, body)
        return ResultPage(max(total or 0, len(items)), items)
