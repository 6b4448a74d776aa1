"""Baidu web search: ``GET https://www.baidu.com/s?wd=<query>`` (HTML).

Needs: nothing (no login, no cookies). Without a ``BAIDUID`` cookie Baidu answers a growing
share of requests with its security check (a redirect to ``wappass.baidu.com``, or a page titled
百度安全验证); those are recorded as ``captcha`` errors, never as censorship.

Pacing: 0.5 request/s, no burst — Baidu escalates to captchas quickly.

Reads: organic results (``#content_left div.result.c-container`` with an ``h3 a``; the
"Aladdin" cards ``result-op`` are Baidu's own widgets and are left out), the count from
"百度为您找到相关结果约N个" when shown (else the number of results read), the no-results box
(``div.content_none div.nors``), and the notice ``根据相关法律法规和政策，部分搜索结果未予显示``
(``se_common_hint``). A result's source is the domain Baidu displays (``mu`` attribute, else the
``c-showurl`` text): its links themselves go through ``baidu.com/link`` redirects.

Silent censorship: besides its notices, Baidu hides terms without a word. Citizen Lab's
"Missing Links" (2023) found both hard censorship (no results at all) and soft censorship
(results only from authorised, mostly state, domains) on Baidu; its data lists the rules of
each (citizenlab/chat-censorship ``search/people/baidu.csv`` and ``baidu-soft.csv``). So an
empty answer is ``zero_results`` and a first page drawn wholly from
``probes/allowlists/cn-official.txt`` is ``soft``, both ``suspected`` until a truism confirms
them.

Truism: ``(<term> | 的) site:zhihu.com``, its control ``的 site:zhihu.com``. Found: Baidu's
search syntax has ``A | B`` for either word, ``site:`` and brackets (Baidu's search help as
copied in public cheat sheets, e.g. yunliyo/Blog ``常用语法.md``: "图片 | 写真"); Citizen Lab
tested soft censorship by restricting its truism to one domain at a time (``search/
authorized-domains/baidu.csv`` has a column per domain), and zhihu.com is not among the
domains Baidu let through there. Assumed, not verified against baidu.com from here: 的 is on
nearly every Chinese page and in no rule; Baidu filters on the whole query text, operators
included; zhihu.com stays deeply indexed and unauthorised. The report's own truism strings
could not be read from here. The form takes 18 characters, so it fits terms of up to 20 (Baidu
reads 38); longer terms have no truism.

Known limits: Baidu reads at most 38 characters of a query (Baidu's own App Builder SDK
refuses longer ones: baidubce/app-builder#52), so longer terms and texts are refused before
they are sent; the full-notice wording is modelled on Weibo's (no recorded Baidu page with it
exists); newer layouts that show a site name instead of a domain leave ``source`` empty, which
can hide soft censorship but never invents it.
"""

from __future__ import annotations

import re

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.contract import Adapter, Case, Pacing, Query, ResultPage, domain_of
from probes.outcome import ErrorKind, Item, Signal, Verdict
from probes.truisms import disjunction

__all__ = ["BaiduAdapter"]

_COUNT = re.compile(r"百度为您找到相关结果约?\s*([\d,]+)\s*个")


class BaiduAdapter(Adapter):
    name = "baidu"
    version = "1.0"
    default_base_url = "https://www.baidu.com"
    pacing = Pacing(rate=0.5, burst=1)
    separator = " "
    max_query_length = 38
    allowlist_name = "cn-official"
    silent_censorship = frozenset({Signal.ZERO_RESULTS, Signal.SOFT})
    cases = (
        Case("baidu-Hello.html.gz", Verdict.VISIBLE, count=100_000_000),
        Case(
            "partial-notice.synthetic.html.gz",
            Verdict.CENSORED,
            Signal.PARTIAL_NOTICE,
            count=100_000_000,
        ),
        Case("notice.synthetic.html.gz", Verdict.CENSORED, Signal.NOTICE),
        Case("zero-results.synthetic.html.gz", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0),
        Case("soft.synthetic.html.gz", Verdict.CENSORED, Signal.SOFT, count=100_000_000),
        Case("captcha.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case(
            "redirect.synthetic.html",
            Verdict.ERROR,
            error=ErrorKind.CAPTCHA,
            status=302,
            headers={
                "Location": "https://wappass.baidu.com/static/captcha/tuxing.html?&ak=c27bbc89"
                "&backurl=https%3A%2F%2Fwww.baidu.com%2Fs%3Fwd%3DHello"
            },
            note="the security check as a redirect",
        ),
        Case(
            "redirect.synthetic.html",
            Verdict.ERROR,
            error=ErrorKind.LOGIN_WALL,
            status=302,
            headers={
                "Location": "https://passport.baidu.com/v2/?login&u=https%3A%2F%2Fwww.baidu.com"
            },
        ),
        Case("login.synthetic.html", Verdict.ERROR, error=ErrorKind.LOGIN_WALL),
        Case("baidu-Hello.html.gz", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=503),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request(
            "GET",
            f"{self.base_url}/s",
            params={"wd": query.text},
            headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        )

    def truism(self, query: Query | None) -> Query | None:
        return disjunction(
            query,
            operator="|",
            common="的",
            restrict="site:zhihu.com",
            max_length=self.max_query_length,
        )

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        tree = LexborHTMLParser(body)
        if tree.css_first("div.content_none div.nors") is not None:
            return ResultPage(0)
        left = tree.css_first("#content_left")
        if left is None:
            return None
        items = tuple(
            item for item in map(_item, left.css("div.result.c-container")) if item is not None
        )
        counter = tree.css_first("span.nums_text")
        found = _COUNT.search(counter.text() if counter is not None else "")
        if found is not None:
            return ResultPage(int(found.group(1).replace(",", "")), items)
        # No count and nothing read: a layout this parser does not know, not an empty answer.
        return ResultPage(len(items), items) if items else None


def _item(node: LexborNode) -> Item | None:
    link = node.css_first("h3 a")
    if link is None:
        return None
    url = link.attributes.get("href") or ""
    return Item(title=link.text(strip=True), url=url, source=_source(node))


def _source(node: LexborNode) -> str:
    """The domain Baidu displays for a result (its own links are redirects)."""
    shown = node.attributes.get("mu") or ""
    if not shown:
        showurl = node.css_first(".c-showurl")
        shown = showurl.text(strip=True) if showurl is not None else ""
    if not shown or " " in shown:
        return ""
    return domain_of(shown if "://" in shown else f"http://{shown}")
