"""Zhihu: ``GET https://www.zhihu.com/api/v4/search_v3?t=general&q=<query>``.

JSON ``{"paging": {"is_end": ..., "totals": ...}, "data": [{"type": "search_result",
"object": {"type": "answer" | "article" | "question" | ..., ...}}, ...]}``, as the Zhihu web
client and public scrapers read it; entries of other types (related queries, ads, boxes)
are not results. The count is ``paging.totals`` when present, else the results on the page.
Nothing found is an empty ``data`` list.

Refusals come as ``{"error": {"code": ..., "message": ...}}``: ``40352`` (the
``/account/unhuman`` risk-control check) and ``10001``/``10003`` (请求参数异常, the request
lacked the web client's ``x-zse-96`` signature) are ``captcha``; HTTP 401 or code ``100``
(authentication) are ``login_wall``; any other error is ``parse`` with the message.

Needs: in practice a logged-in cookie (``z_c0``, with ``d_c0``) and the signature headers the
web client computes in JavaScript; this adapter computes no signature, so anonymous probes
mostly end as ``captcha`` errors, never as censorship. Give a cookie, if you accept probing
under an account, with ``censorprobe run --headers FILE``.

Pacing: one request every 5 seconds.

Limits: no notice wording of Zhihu's own could be found documented; the usual mainland
wordings are fingerprinted in case it shows one, otherwise a withheld term reads
``zero_results``. Soft censorship is judged by author (``cn-official-accounts.txt``).
Fixtures are synthetic.
"""

from __future__ import annotations

from typing import Any

import httpx

from probes.contract import Case, Pacing, Query, ResultPage
from probes.jsonapi import JsonApiAdapter, official_source, plain_text
from probes.outcome import ErrorKind, Item, Outcome, Verdict

__all__ = ["ZhihuAdapter"]

_DOMAIN = "zhihu.com"
_CAPTCHA_CODES = frozenset({40352, 10001, 10003})
_LOGIN_CODES = frozenset({100})


def _title(entry: dict[str, Any], target: dict[str, Any]) -> str:
    highlight = entry.get("highlight")
    if isinstance(highlight, dict) and highlight.get("title"):
        return plain_text(str(highlight["title"]))
    question = target.get("question")
    name = question.get("name") if isinstance(question, dict) else None
    return plain_text(str(target.get("title") or name or ""))


def _url(target: dict[str, Any]) -> str:
    """The page a reader opens (the API gives ``api.zhihu.com`` addresses)."""
    kind, ident = target.get("type"), target.get("id")
    question = target.get("question")
    if kind == "answer" and isinstance(question, dict) and question.get("id"):
        return f"https://www.zhihu.com/question/{question['id']}/answer/{ident}"
    if kind == "article":
        return f"https://zhuanlan.zhihu.com/p/{ident}"
    if kind == "question":
        return f"https://www.zhihu.com/question/{ident}"
    return str(target.get("url", ""))


def _item(entry: dict[str, Any]) -> Item | None:
    target = entry.get("object")
    if entry.get("type") != "search_result" or not isinstance(target, dict):
        return None
    author = target.get("author")
    name = author.get("name", "") if isinstance(author, dict) else ""
    return Item(
        title=_title(entry, target), url=_url(target), source=official_source(str(name), _DOMAIN)
    )


class ZhihuAdapter(JsonApiAdapter):
    name = "zhihu"
    version = "1.0"
    default_base_url = "https://www.zhihu.com"
    pacing = Pacing(rate=0.2, burst=1)
    allowlist_name = "cn-official"
    cases = (
        Case("results.synthetic.json", Verdict.VISIBLE, count=3, query="天气"),
        # No published study of silent censorship on Zhihu was found: silence reads visible.
        Case("empty.synthetic.json", Verdict.VISIBLE, count=0, query="白纸"),
        Case("soft.synthetic.json", Verdict.VISIBLE, count=2, query="新疆"),
        Case("unhuman.synthetic.json", Verdict.ERROR, error=ErrorKind.CAPTCHA, status=403),
        Case("unsigned.synthetic.json", Verdict.ERROR, error=ErrorKind.CAPTCHA, status=403),
        Case("login.synthetic.json", Verdict.ERROR, error=ErrorKind.LOGIN_WALL, status=401),
        Case("other-error.synthetic.json", Verdict.ERROR, error=ErrorKind.PARSE, status=400),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request(
            "GET",
            f"{self.base_url}/api/v4/search_v3",
            params={
                "t": "general",
                "q": query.text,
                "correction": "1",
                "offset": "0",
                "limit": "20",
            },
            headers={"Accept": "application/json"},
        )

    def api_error(self, data: dict[str, Any], response: httpx.Response) -> Outcome | None:
        error = data.get("error")
        if not isinstance(error, dict):
            return None
        code, message = error.get("code"), str(error.get("message", ""))
        detail = f"code={code}: {message}"
        if code in _CAPTCHA_CODES or "unhuman" in str(error.get("redirect", "")):
            return Outcome.failed(ErrorKind.CAPTCHA, detail)
        if code in _LOGIN_CODES or response.status_code == 401:
            return Outcome.failed(ErrorKind.LOGIN_WALL, detail)
        return Outcome.failed(ErrorKind.PARSE, detail)

    def parse_data(self, query: Query, data: dict[str, Any]) -> ResultPage | None:
        entries, paging = data.get("data"), data.get("paging")
        if not isinstance(entries, list) or not isinstance(paging, dict):
            return None
        items = tuple(
            item for item in (_item(e) for e in entries if isinstance(e, dict)) if item is not None
        )
        totals = paging.get("totals")
        return ResultPage(max(totals if isinstance(totals, int) else 0, len(items)), items)
