"""DuckDuckGo, HTML version: ``GET https://html.duckduckgo.com/html/?q=<query>``.

A comparison engine outside China: it censors nothing itself, so a term missing here but
present on Baidu or Bing China says more about those. No silent censorship is known of it, so
an empty answer is ``visible`` with ``result_count: 0`` (nothing found, nothing withheld), and
it needs no truism (none is given: DuckDuckGo documents ``site:`` but no OR operator).

Needs: nothing (no login, no cookies, no token). Pacing: 0.5 request/s, no burst — the HTML
endpoint answers bursts with its anti-bot page.

Reads: ``div.result`` blocks with an ``a.result__a`` (ads, ``result--ad``, are left out; links
through ``duckduckgo.com/l/?uddg=`` are unwrapped), the no-results block (``div.no-results``),
and the anti-bot "anomaly" page (``anomaly-modal``, ``challenge-form``; often HTTP 202),
which is a ``captcha`` error.

Known limits: DuckDuckGo shows no result count, so the count is the number of results on the
first page (at most about 30). The no-results and anomaly fixtures are modelled on the pages'
documented structure, not recorded.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.contract import Adapter, Case, Pacing, Query, ResultPage, domain_of
from probes.outcome import ErrorKind, Item, Verdict

__all__ = ["DuckDuckGoAdapter"]


class DuckDuckGoAdapter(Adapter):
    name = "duckduckgo"
    version = "1.0"
    default_base_url = "https://html.duckduckgo.com"
    pacing = Pacing(rate=0.5, burst=1)
    separator = " "
    cases = (
        Case("duckduckgo-Hello.html", Verdict.VISIBLE, count=28),
        Case("redirect-links.synthetic.html", Verdict.VISIBLE, count=28),
        Case("no-results.synthetic.html", Verdict.VISIBLE, count=0),
        Case("anomaly.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA, status=202),
        Case("anomaly.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("duckduckgo-Hello.html", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=403),
    )

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/html/", params={"q": query.text})

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        tree = LexborHTMLParser(body)
        if tree.css_first("div.no-results") is not None:
            return ResultPage(0)
        items = tuple(
            item for item in map(_item, tree.css("div.result:not(.result--ad)")) if item is not None
        )
        return ResultPage(len(items), items) if items else None


def _item(node: LexborNode) -> Item | None:
    link = node.css_first("a.result__a")
    if link is None:
        return None
    url = _unwrap(link.attributes.get("href") or "")
    return Item(title=link.text(strip=True), url=url, source=domain_of(url))


def _unwrap(url: str) -> str:
    """The target of a ``duckduckgo.com/l/?uddg=<url>`` redirect link."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if (host == "duckduckgo.com" or host.endswith(".duckduckgo.com")) and parts.path == "/l/":
        target = parse_qs(parts.query).get("uddg")
        if target:
            return target[0]
    return url
