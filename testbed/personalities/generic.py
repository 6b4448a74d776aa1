"""The generic personality: a plain HTML results page at ``/search?q=``, read by ``probes.platforms.testbed``."""

from __future__ import annotations

from html import escape

from aiohttp import web

from testbed.pages import Page, PageKind

__all__ = ["PERSONALITY"]

_HTML = "text/html"


def _document(title: str, body: str) -> str:
    return (
        f'<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        f"</head><body>\n{body}\n</body></html>\n"
    )


class Generic:
    name = "generic"
    operator = "OR"
    renders_as: dict[PageKind, PageKind] = {}

    def query_of(self, request: web.Request) -> str | None:
        return request.query.get("q")

    def render(self, page: Page) -> web.Response:
        parts = [f'<form action="/search"><input name="q" value="{escape(page.query)}"></form>']
        if page.kind is PageKind.NOTICE:
            parts.append(f'<div class="notice">{escape(page.full_notice)}</div>')
        elif page.kind is PageKind.ZERO_RESULTS:
            parts.append('<div class="no-result">没有找到相关结果</div>')
        else:
            if page.kind is PageKind.PARTIAL_NOTICE:
                parts.append(f'<div class="notice partial">{escape(page.partial_notice)}</div>')
            parts.append(
                f'<div class="count" data-count="{page.result_count}">约{page.result_count}条结果</div>'
            )
            parts.append('<ol class="results">')
            parts.extend(
                f'<li class="result"><a href="{escape(item.url)}">{escape(item.title)}</a>'
                f'<span class="source">{escape(item.source)}</span></li>'
                for item in page.items
            )
            parts.append("</ol>")
        body = _document(f"{page.query} - 搜索", "\n".join(parts))
        return web.Response(text=body, content_type=_HTML)

    def captcha(self) -> web.Response:
        body = _document(
            "安全验证 - captcha",
            '<div class="captcha"><p>请输入验证码以继续访问</p><img src="/captcha.png">'
            '<input name="captcha"></div>',
        )
        return web.Response(text=body, content_type=_HTML)

    def login(self) -> web.Response:
        body = _document(
            "登录 - 账号",
            '<form class="login" action="/login" method="post"><p>请登录后查看搜索结果</p>'
            '<input name="username"><input name="password" type="password"></form>',
        )
        return web.Response(text=body, content_type=_HTML)


PERSONALITY = Generic()
