"""The censorprobe testbed (generic personality): ``GET {base_url}/search?q=<query>``.

Needs nothing; meant for loopback (``censorprobe testbed``), so its pacing default is
unpaced. Limits: it only knows the testbed's own HTML.

Silent censorship: the testbed stands in for a censoring platform, so it declares both
``zero_results`` and ``soft``. Its truism is ``(<term>) OR 的``, the control ``的``: the testbed
answers any query that no rule matches with results, and a rule matches a query that
contains its parts, so a censored term stays censored inside the truism.
"""

from __future__ import annotations

import httpx
from selectolax.lexbor import LexborHTMLParser as HTMLParser

from probes.contract import Adapter, Case, Pacing, Query, ResultPage
from probes.outcome import ErrorKind, Item, Signal, Verdict
from probes.truisms import disjunction

__all__ = ["TestbedAdapter"]


class TestbedAdapter(Adapter):
    __test__ = False  # not a pytest class

    name = "testbed"
    version = "1.0"
    default_base_url = "http://127.0.0.1:8000"
    pacing = Pacing(rate=0, burst=1)
    allowlist_name = "cn-official"
    silent_censorship = frozenset({Signal.ZERO_RESULTS, Signal.SOFT})
    cases = (
        Case("visible.html", Verdict.VISIBLE, count=246889, query="天气"),
        Case("notice.html", Verdict.CENSORED, Signal.NOTICE, query="习近平"),
        Case("partial.html", Verdict.CENSORED, Signal.PARTIAL_NOTICE, count=281128, query="六四"),
        Case("zero.html", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0, query="白纸"),
        Case("soft.html", Verdict.CENSORED, Signal.SOFT, count=16, query="新疆"),
        Case("captcha.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("login.html", Verdict.ERROR, error=ErrorKind.LOGIN_WALL),
        Case("visible.html", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=503),
    )

    def truism(self, query: Query | None) -> Query | None:
        return disjunction(query, operator="OR", common="的", max_length=self.max_query_length)

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/search", params={"q": query.text})

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        tree = HTMLParser(body)
        if tree.css_first("div.no-result") is not None:
            return ResultPage(0)
        count_node = tree.css_first("div.count")
        if count_node is None:
            return None
        count = int(count_node.attributes.get("data-count") or 0)
        items = []
        for node in tree.css("ol.results li.result"):
            link = node.css_first("a")
            source = node.css_first("span.source")
            if link is None:
                continue
            items.append(
                Item(
                    title=link.text(strip=True),
                    url=link.attributes.get("href") or "",
                    source=source.text(strip=True) if source else "",
                )
            )
        return ResultPage(count, tuple(items))
