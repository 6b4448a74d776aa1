"""Sina Weibo: web search (``weibo``) and the mobile container API (``weibo_m``).

``weibo``: ``GET https://s.weibo.com/weibo?q=<query>``, an HTML page of post cards
(``div.card-wrap[action-type=feed_list_item]``). A withheld term shows
``根据相关法律法规和政策，“<term>”搜索结果未予显示。``; some withheld results show
``根据相关法律法规和政策，部分搜索结果未予显示。``; nothing found shows
``div.card.card-no-result``. Weibo shows no total, so the count is the number of posts on the
first page.

``weibo_m``: ``GET https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D1%26q%3D
<query>&page_type=searchall``, JSON ``{"ok": 1, "data": {"cards": [...]}}`` with posts in
``card_type`` 9 cards (directly or inside a ``card_group``) and the total in
``data.cardlistInfo.total``. ``{"ok": 0, "msg": "这里还没有内容"}`` means nothing found;
``{"ok": -100, "url": <login page>}`` means the session is not logged in (an error).

Needs: in practice a logged-in cookie; both endpoints send anonymous clients to the Sina
Visitor System or the passport login (recorded as ``login_wall``). If you accept the risk of
probing under an account, give it as a ``Cookie:`` line in ``censorprobe run --headers FILE``
(never recorded).

Pacing: one request every 5 seconds (Weibo answers 418 when it throttles).

Limits: soft censorship is judged by author: posts by the official accounts listed in
``probes/allowlists/cn-official-accounts.txt`` count as their organisation's domain. A post
that quotes a notice wording would be read as a notice. No real page with a notice was
available; the notice fixtures are synthetic.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.contract import Adapter, Case, Pacing, Query, ResultPage
from probes.jsonapi import JsonApiAdapter, official_source, plain_text
from probes.outcome import ErrorKind, Item, Outcome, Signal, Verdict

__all__ = ["WeiboAdapter", "WeiboMobileAdapter"]

_DOMAIN = "weibo.com"
#: What m.weibo.cn says when a search found nothing.
_EMPTY_MESSAGES = frozenset({"这里还没有内容"})
_PASSPORT = "https://passport.weibo.com/visitor/visitor?entry=miniblog&a=enter"


def _absolute(url: str) -> str:
    return f"https:{url}" if url.startswith("//") else url


def _web_item(card: LexborNode) -> Item:
    name = card.css_first("a.name")
    account = (name.attributes.get("nick-name") or name.text(strip=True)) if name else ""
    text = card.css_first('p.txt[node-type="feed_list_content_full"]') or card.css_first("p.txt")
    link = card.css_first("div.from a, p.from a")
    href = link.attributes.get("href") if link else None
    url = _absolute(href) if href else f"https://m.weibo.cn/detail/{card.attributes.get('mid', '')}"
    return Item(
        title=plain_text(text.text(strip=True)) if text else "",
        url=url,
        source=official_source(account or "", _DOMAIN),
    )


class WeiboAdapter(Adapter):
    name = "weibo"
    version = "1.0"
    default_base_url = "https://s.weibo.com"
    pacing = Pacing(rate=0.2, burst=1)
    allowlist_name = "cn-official"
    cases = (
        Case("results.synthetic.html", Verdict.VISIBLE, count=3, query="天气"),
        Case("notice.synthetic.html", Verdict.CENSORED, Signal.NOTICE, query="习近平"),
        Case(
            "partial.synthetic.html", Verdict.CENSORED, Signal.PARTIAL_NOTICE, count=2, query="六四"
        ),
        Case(
            "no-result.synthetic.html", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="白纸"
        ),
        Case("soft.synthetic.html", Verdict.CENSORED, Signal.SOFT, count=2, query="新疆"),
        Case("visitor.synthetic.html", Verdict.ERROR, error=ErrorKind.LOGIN_WALL),
        Case(
            "blank.synthetic.html",
            Verdict.ERROR,
            error=ErrorKind.LOGIN_WALL,
            status=302,
            headers={"Location": _PASSPORT},
            note="anonymous client sent to the passport",
        ),
        Case("blank.synthetic.html", Verdict.ERROR, error=ErrorKind.RATE_LIMITED, status=418),
        Case("unknown.synthetic.html", Verdict.ERROR, error=ErrorKind.PARSE),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/weibo", params={"q": query.text})

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        tree = LexborHTMLParser(body)
        cards = tree.css('div.card-wrap[action-type="feed_list_item"]')
        if not cards:
            return ResultPage(0) if tree.css_first("div.card-no-result") is not None else None
        items = tuple(_web_item(card) for card in cards)
        return ResultPage(len(items), items)


def _posts(cards: list[Any]) -> Iterator[dict[str, Any]]:
    """Posts in container cards: ``card_type`` 9 directly, or nested in a ``card_group``."""
    for card in cards:
        if not isinstance(card, dict):
            continue
        if isinstance(card.get("mblog"), dict):
            yield card["mblog"]
        if isinstance(card.get("card_group"), list):
            yield from _posts(card["card_group"])


def _mobile_item(post: dict[str, Any]) -> Item:
    user = post.get("user")
    name = user.get("screen_name", "") if isinstance(user, dict) else ""
    return Item(
        title=plain_text(str(post.get("text", ""))),
        url=f"https://m.weibo.cn/detail/{post.get('id', '')}",
        source=official_source(str(name), _DOMAIN),
    )


class WeiboMobileAdapter(JsonApiAdapter):
    name = "weibo_m"
    version = "1.0"
    default_base_url = "https://m.weibo.cn"
    pacing = Pacing(rate=0.2, burst=1)
    allowlist_name = "cn-official"
    fingerprint_files = ("weibo",)
    cases = (
        Case("results.synthetic.json", Verdict.VISIBLE, count=1873, query="天气"),
        Case("empty.synthetic.json", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="白纸"),
        Case("notice.synthetic.json", Verdict.CENSORED, Signal.NOTICE, query="习近平"),
        Case("soft.synthetic.json", Verdict.CENSORED, Signal.SOFT, count=2, query="新疆"),
        Case("login.synthetic.json", Verdict.ERROR, error=ErrorKind.LOGIN_WALL),
        Case(
            "unexpected.synthetic.json",
            Verdict.ERROR,
            error=ErrorKind.PARSE,
            note="ok=0 with a message that is not the empty-result one: never zero_results",
        ),
        Case("results.synthetic.json", Verdict.ERROR, error=ErrorKind.RATE_LIMITED, status=418),
        Case("visitor.synthetic.html", Verdict.ERROR, error=ErrorKind.LOGIN_WALL),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request(
            "GET",
            f"{self.base_url}/api/container/getIndex",
            params={"containerid": f"100103type=1&q={query.text}", "page_type": "searchall"},
            headers={
                "Accept": "application/json, text/plain, */*",
                "X-Requested-With": "XMLHttpRequest",
            },
        )

    def api_error(self, data: dict[str, Any], response: httpx.Response) -> Outcome | None:
        ok, message = data.get("ok"), str(data.get("msg", ""))
        if ok == -100:
            return Outcome.failed(ErrorKind.LOGIN_WALL, f"ok=-100, login at {data.get('url', '?')}")
        if ok == 1 or (ok == 0 and message in _EMPTY_MESSAGES):
            return None
        return Outcome.failed(ErrorKind.PARSE, f"ok={ok}: {message}")

    def parse_data(self, query: Query, data: dict[str, Any]) -> ResultPage | None:
        if data.get("ok") == 0:
            return ResultPage(0)
        payload = data.get("data")
        if not isinstance(payload, dict) or not isinstance(payload.get("cards"), list):
            return None
        items = tuple(_mobile_item(post) for post in _posts(payload["cards"]))
        info = payload.get("cardlistInfo")
        total = info.get("total") if isinstance(info, dict) else None
        count = total if isinstance(total, int) and total >= len(items) else len(items)
        return ResultPage(count, items)
