"""The Bing personality: ``/search?q=`` answered in the shape of Bing China's results page.

Reduced, but with the structure ``probes.platforms.bing`` reads on real pages: ``#b_results`` with
``li.b_algo`` results (``h2 a``, ``cite``), the ``span.sb_count`` count, the ``li.b_no``
no-results item and the local-law notice in ``li.b_msg``. Bing has no full-removal notice: a
``notice`` rule shows the notice over an empty list, as Bing China does.

Walls are answered in place (HTTP 200), never as redirects to Microsoft's real hosts.
"""

from __future__ import annotations

from html import escape

from aiohttp import web

from testbed.pages import Page, PageKind, SyntheticItem

__all__ = ["PERSONALITY"]

_HTML = "text/html"
_NOTICE = (
    '<li class="b_msg b_canvas"><div>为回应符合本地法律要求的通知，部分搜索结果未予显示。'
    '有关详细信息，请参阅<a href="/fwlink/?LinkID=617350">此处</a>。</div></li>'
)


def _document(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


def _result(index: int, item: SyntheticItem) -> str:
    return (
        f'<li class="b_algo"><h2><a href="{escape(item.url)}" h="ID=SERP,{5000 + index}.1">'
        f"{escape(item.title)}</a></h2>"
        f'<div class="b_caption"><div class="b_attribution"><cite>{escape(item.url)}</cite></div>'
        f"<p>{escape(item.title)} …</p></div></li>"
    )


class Bing:
    name = "bing"
    operator = "OR"
    #: Bing China has no full-removal notice: the local-law notice over an empty list.
    renders_as = {PageKind.NOTICE: PageKind.PARTIAL_NOTICE}

    def query_of(self, request: web.Request) -> str | None:
        return request.query.get("q") if request.path == "/search" else None

    def render(self, page: Page) -> web.Response:
        query = escape(page.query)
        head = (
            '<header id="b_header"><form id="sb_form" action="/search">'
            f'<input id="sb_form_q" name="q" value="{query}"></form></header>'
        )
        no_results = (
            f'<li class="b_no"><h1>没有与此相关的结果: <strong>{query}</strong></h1>'
            "<ul><li><span>请检查你的拼写或尝试其他关键字</span></li></ul></li>"
        )
        count = ""
        if page.kind is PageKind.NOTICE:
            results = no_results + _NOTICE
        elif page.kind is PageKind.ZERO_RESULTS:
            results = no_results
        else:
            results = "".join(_result(i, item) for i, item in enumerate(page.items, 1))
            if page.kind is PageKind.PARTIAL_NOTICE:
                results += _NOTICE
            count = f'<span class="sb_count">约 {page.result_count:,} 个结果</span>'
        body = (
            f'{head}<div id="b_content"><main aria-label="搜索结果"><div id="b_tween">{count}</div>'
            f'<ol id="b_results">{results}<li class="b_pag"></li></ol></main></div>'
        )
        return web.Response(text=_document(f"{page.query} - 搜索", body), content_type=_HTML)

    def captcha(self) -> web.Response:
        body = (
            '<div id="b_content"><div class="captcha"><h1 class="captcha_header">最后一步</h1>'
            "<p>请解决以下难题以继续</p>"
            '<iframe src="/turing/captcha/challenge" title="challenge"></iframe></div></div>'
        )
        return web.Response(text=_document("Bing", body), content_type=_HTML)

    def login(self) -> web.Response:
        body = (
            '<form name="f1" method="post" action="/ppsecure/post.srf"><div>登录</div>'
            '<input type="email" name="loginfmt"><input type="submit" value="下一步"></form>'
        )
        return web.Response(text=_document("Sign in to your account", body), content_type=_HTML)


PERSONALITY = Bing()
