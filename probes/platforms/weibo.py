"""Sina Weibo: web search (``weibo``) and the mobile container API (``weibo_m``).

``weibo``: ``GET https://s.weibo.com/weibo?q=<query>``, an HTML page of posts
(``div[action-type=feed_list_item]``: today's ``div.card-wrap`` cards, or the 2017 layout whose
posts come inside the ``pl_weibo_direct`` pagelet script, ``STK.pageletM.view({...})``, as in the
real pages SpiderClub/weibospider recorded). A withheld term shows
``根据相关法律法规和政策，“<term>”搜索结果未予显示。``; some withheld results show
``根据相关法律法规和政策，部分搜索结果未予显示。``; nothing found shows
``div.card.card-no-result``. Weibo shows no total, so the count is the number of posts on the
first page. Its 访问受限 page (an account or IP blocked by Weibo's security rules, to be
released by a captcha) is ``captcha``.

``weibo_m``: ``GET https://m.weibo.cn/api/container/getIndex?containerid=100103type%3D1%26q%3D
<query>&page_type=searchall``, JSON ``{"ok": 1, "data": {"cards": [...]}}`` with posts in
``card_type`` 9 cards (directly or inside a ``card_group``) and the total in
``data.cardlistInfo.total``. ``{"ok": 0, "msg": "这里还没有内容"}`` means nothing found — m.weibo.cn answers it for an empty
container of any kind (nonebot-bison records it for a user that does not exist), so it says
nothing withheld;
``{"ok": -100, "url": <login page>}`` means the session is not logged in (an error).

Needs: in practice a logged-in cookie; both endpoints send anonymous clients to the Sina
Visitor System or the passport login (recorded as ``login_wall``). If you accept the risk of
probing under an account, give it as a ``Cookie:`` line in ``censorprobe run --headers FILE``
(never recorded).

Pacing: one request every 5 seconds (Weibo answers 418 when it throttles).

Silent censorship: Weibo says so when it withholds a whole term (the notice above; Citizen
Lab's "Missing Links", 2023, measured Weibo's hard censorship through it), so an empty answer
is ``visible`` with ``result_count: 0``. Missing Links also found *soft* censorship on Weibo —
results only from verified, mostly official, accounts (citizenlab/chat-censorship
``search/people/weibo-soft.csv``) — so posts only by ``cn-official-accounts.txt`` accounts are
``soft``, ``suspected``. Assumed: m.weibo.cn carries the web search's notice; if it ever drops a
term silently, only a comparison with ``weibo`` shows it.

Truism: none known. A soft confirmation needs the term searched among unofficial posts only;
s.weibo.com has no OR operator and its filters can keep verified accounts (认证用户) but not
leave them out, so no query can show that unofficial posts exist. Soft verdicts stay
``suspected``.

Limits: soft censorship is judged by author: posts by the official accounts listed in
``probes/allowlists/cn-official-accounts.txt`` count as their organisation's domain. A post
that quotes a notice wording would be read as a notice. No real page with a notice was
available: the notice fixtures are synthetic; the 2017 pages, the block page and two m.weibo.cn
answers are real (``tests/fixtures/weibo*/SOURCES.md``).
"""

from __future__ import annotations

import json
import re
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
#: The 2017 layout's pagelets: ``<script>STK && STK.pageletM && STK.pageletM.view({...})</script>``.
_PAGELET = re.compile(r"STK\.pageletM\.view\((\{.*?\})\)</script>", re.DOTALL)
_POSTS = 'div[action-type="feed_list_item"]'


def _absolute(url: str) -> str:
    return f"https:{url}" if url.startswith("//") else url


def _web_item(card: LexborNode) -> Item:
    name = card.css_first("a.name, a[nick-name]")
    account = (name.attributes.get("nick-name") or name.text(strip=True)) if name else ""
    text = (
        card.css_first('p.txt[node-type="feed_list_content_full"]')
        or card.css_first("p.txt")
        or card.css_first("p.comment_txt")
    )
    link = card.css_first('div.from a, p.from a, a[node-type="feed_list_item_date"]')
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
    #: Citizen Lab, "Missing Links" (2023): Weibo says when it withholds a term, and hides
    #: others silently by showing only authorised accounts (soft).
    silent_censorship = frozenset({Signal.SOFT})
    cases = (
        Case("results.synthetic.html", Verdict.VISIBLE, count=3, query="天气"),
        Case("notice.synthetic.html", Verdict.CENSORED, Signal.NOTICE, query="习近平"),
        Case(
            "partial.synthetic.html", Verdict.CENSORED, Signal.PARTIAL_NOTICE, count=2, query="六四"
        ),
        Case(
            "no-result.synthetic.html",
            Verdict.VISIBLE,
            count=0,
            query="白纸",
            note="Weibo says so when it withholds a term: an empty answer withholds nothing",
        ),
        Case("soft.synthetic.html", Verdict.CENSORED, Signal.SOFT, count=2, query="新疆"),
        Case("spiderclub-s-weibo-2017-zetianji.html.gz", Verdict.VISIBLE, count=20, query="择天记"),
        Case(
            "spiderclub-s-weibo-2017-hulianwanganquan.html.gz",
            Verdict.VISIBLE,
            count=19,
            query="互联网安全",
        ),
        Case(
            "spiderclub-s-weibo-2017-chenyufan-rendered.html.gz",
            Verdict.VISIBLE,
            count=20,
            query="陈羽凡公司发文",
            note="the 2017 layout with its pagelets already expanded into the page",
        ),
        Case(
            "spiderclub-weibo-com-accessdeny-captcha.html", Verdict.ERROR, error=ErrorKind.CAPTCHA
        ),
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
        cards = tree.css(_POSTS) or _pagelet_posts(body)
        if not cards:
            return ResultPage(0) if tree.css_first("div.card-no-result") is not None else None
        items = tuple(_web_item(card) for card in cards)
        return ResultPage(len(items), items)


def _pagelet_posts(body: str) -> list[LexborNode]:
    """The posts of the 2017 layout, delivered as HTML inside the ``pl_weibo_direct`` pagelet."""
    for found in _PAGELET.finditer(body):
        try:
            pagelet = json.loads(found.group(1))
        except ValueError:
            continue
        if isinstance(pagelet, dict) and pagelet.get("pid") == "pl_weibo_direct":
            html = pagelet.get("html")
            return LexborHTMLParser(html).css(_POSTS) if isinstance(html, str) else []
    return []


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
    silent_censorship = frozenset({Signal.SOFT})
    fingerprint_files = ("weibo",)
    cases = (
        Case("results.synthetic.json", Verdict.VISIBLE, count=1873, query="天气"),
        Case("empty.synthetic.json", Verdict.VISIBLE, count=0, query="白纸"),
        Case(
            "bison-mweibo-getIndex-err-ok0.json",
            Verdict.VISIBLE,
            count=0,
            note="real: the empty envelope m.weibo.cn sends for any empty container",
        ),
        Case(
            "bison-mweibo-getIndex-user-timeline-2021-06.json",
            Verdict.VISIBLE,
            count=1221,
            note="real: a user timeline, the same container shape as a search",
        ),
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
