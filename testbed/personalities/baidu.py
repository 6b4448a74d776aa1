"""The Baidu personality: ``/s?wd=`` answered in the shape of Baidu's results page.

Reduced, but with the structure ``probes.platforms.baidu`` reads on real pages: ``#content_left`` with
``div.result.c-container`` results (``h3 a``, the real URL in ``mu``, the shown domain in
``a.c-showurl``), the ``span.nums_text`` count, the ``se_common_hint`` notice box, the
``div.content_none div.nors`` no-results box, and the security-check and login pages.

Walls are answered in place (HTTP 200), never as redirects: a redirect to Baidu's real
``wappass``/``passport`` hosts could lead a client off the loopback.
"""

from __future__ import annotations

from html import escape
from urllib.parse import urlsplit

from aiohttp import web

from testbed.pages import Page, PageKind, SyntheticItem

__all__ = ["PERSONALITY"]

_HTML = "text/html"


def _document(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<!--STATUS OK-->\n<html><head>"
        '<meta http-equiv="content-type" content="text/html;charset=utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def _result(index: int, item: SyntheticItem) -> str:
    shown = item.source + urlsplit(item.url).path
    return (
        f'<div class="result c-container new-pmd" id="{index}" srcid="1599" '
        f'tpl="se_com_default" mu="{escape(item.url)}">'
        f'<h3 class="t"><a href="/link?url={index}" target="_blank">{escape(item.title)}</a></h3>'
        f'<div class="c-abstract">{escape(item.title)} …</div>'
        f'<div class="f13 c-gap-top-xsmall se_st_footer">'
        f'<a class="c-showurl c-color-gray" href="/link?url={index}">{escape(shown)}</a></div></div>'
    )


def _no_results(text: str) -> str:
    return f'<div class="content_none"><div class="nors"><p>{text}</p></div></div>'


class Baidu:
    name = "baidu"
    operator = "|"
    renders_as: dict[PageKind, PageKind] = {}

    def query_of(self, request: web.Request) -> str | None:
        return request.query.get("wd") if request.path == "/s" else None

    def render(self, page: Page) -> web.Response:
        query = escape(page.query)
        head = (
            f'<div id="head"><form id="form" name="f" action="/s">'
            f'<input id="kw" name="wd" value="{query}"></form></div>'
        )
        if page.kind is PageKind.NOTICE:
            left = _no_results(escape(page.full_notice))
            nums = ""
        elif page.kind is PageKind.ZERO_RESULTS:
            left = _no_results(
                f"抱歉没有找到与“<em>{query}</em>”相关的网页。"
                '<div class="tip_head">温馨提示：</div><ul><li>请检查您的输入是否正确</li></ul>'
            )
            nums = ""
        else:
            hint = (
                '<div class="c-container c-gap-bottom se_common_hint" data-tpl="hint_boldline">'
                f"<strong>{escape(page.partial_notice)}</strong></div>"
                if page.kind is PageKind.PARTIAL_NOTICE
                else ""
            )
            left = hint + "".join(_result(i, item) for i, item in enumerate(page.items, 1))
            nums = (
                '<div class="head_nums_cont_outer OP_LOG"><div class="nums new_nums">'
                f'<span class="nums_text">百度为您找到相关结果约{page.result_count:,}个</span>'
                "</div></div>"
            )
        body = (
            f'<div id="wrapper">{head}<div id="wrapper_wrapper"><div id="container">{nums}'
            f'<div id="content_left">{left}</div></div></div></div>'
        )
        return web.Response(text=_document(f"{page.query}_百度搜索", body), content_type=_HTML)

    def captcha(self) -> web.Response:
        body = (
            '<div class="passMod_dialog-wrapper"><div class="passMod_dialog-body">'
            '<p class="passMod_dialog-title">百度安全验证</p>'
            '<p class="passMod_dialog-tip">请完成下方验证后继续操作</p>'
            '<div class="vcode-spin"></div></div></div>'
        )
        return web.Response(text=_document("百度安全验证", body), content_type=_HTML)

    def login(self) -> web.Response:
        body = (
            '<div id="login" class="pass-login"><form class="pass-form" method="POST" action="/login">'
            '<input type="text" name="userName" placeholder="手机号/用户名/邮箱">'
            '<input type="password" name="password"><input type="submit" value="登录"></form></div>'
        )
        return web.Response(text=_document("登录百度帐号", body), content_type=_HTML)


PERSONALITY = Baidu()
