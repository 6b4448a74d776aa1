"""The Weibo personality: an s.weibo.com-like results page at ``/weibo?q=``, read by ``probes.platforms.weibo``.

Posts are ``div.card-wrap`` cards; a withheld term shows Weibo's full notice in the
``card-no-result`` box, some withheld results show the partial notice above the cards, an
empty search shows the ``card-no-result`` box, and allow-listed sources appear as posts by
their official accounts. The login fault is the Sina Visitor System page anonymous clients
get; the captcha fault a security-check page.
"""

from __future__ import annotations

import hashlib
from html import escape

from aiohttp import web

from testbed.pages import Page, PageKind, SyntheticItem
from testbed.personalities._official import account_for

__all__ = ["PERSONALITY"]

_HTML = "text/html"


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="zh-cn"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>\n{body}\n</body></html>\n"
    )


def _card(item: SyntheticItem) -> str:
    mid = int.from_bytes(hashlib.sha256(item.url.encode()).digest()[:6], "big")
    nick = escape(account_for(item.source))
    return (
        f'<div class="card-wrap" action-type="feed_list_item" mid="{mid}"><div class="card">'
        '<div class="card-feed"><div class="content"><div class="info"><div></div><div>'
        f'<a class="name" href="//weibo.com/u/{mid % 10**10}" nick-name="{nick}">{nick}</a>'
        f'</div></div><p class="txt" node-type="feed_list_content">{escape(item.title)}</p>'
        f'<div class="from"><a href="{escape(item.url)}">今天 08:00</a> 来自 微博 weibo.com</div>'
        "</div></div></div></div>"
    )


def _no_result(text: str) -> str:
    return f'<div class="card card-no-result s-pt20b40"><p>{escape(text)}</p></div>'


class Weibo:
    name = "weibo"
    operator = None  # s.weibo.com has no OR
    renders_as: dict[PageKind, PageKind] = {}

    def query_of(self, request: web.Request) -> str | None:
        return request.query.get("q") if request.path == "/weibo" else None

    def render(self, page: Page) -> web.Response:
        if page.kind is PageKind.NOTICE:
            parts = [_no_result(page.full_notice)]
        elif page.kind is PageKind.ZERO_RESULTS:
            parts = [_no_result(f"抱歉，未找到“{page.query}”相关结果。")]
        else:
            parts = []
            if page.kind is PageKind.PARTIAL_NOTICE:
                parts.append(
                    f'<div class="card card-top"><p>{escape(page.partial_notice)}</p></div>'
                )
            parts.extend(_card(item) for item in page.items)
        body = '<div id="pl_feedlist_index">\n' + "\n".join(parts) + "\n</div>"
        return web.Response(text=_document(f"{page.query} - 微博搜索", body), content_type=_HTML)

    def captcha(self) -> web.Response:
        body = (
            '<div class="verify"><p>您的访问出现异常，请输入验证码后继续</p>'
            '<img src="/captcha/img"><input name="code"></div>'
        )
        return web.Response(text=_document("安全验证 - 微博", body), content_type=_HTML)

    def login(self) -> web.Response:
        body = '<span id="message"></span><script src="/js/visitor/mini_original.js"></script>'
        return web.Response(text=_document("Sina Visitor System", body), content_type=_HTML)


PERSONALITY = Weibo()
