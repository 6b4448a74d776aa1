"""Bing web search, in two places: ``bing_cn`` and ``bing`` (``GET /search?q=<query>``, HTML).

``bing_cn`` asks ``https://cn.bing.com``, the Bing that Microsoft runs under Chinese law; ``bing``
asks ``https://www.bing.com``, the comparison without that filter. Same page, same parser, same
fingerprints (``probes/fingerprints/bing.yaml``) and same fixtures (``tests/fixtures/bing``).
Only ``bing_cn`` reads a first page drawn wholly from Chinese official sources
(``probes/allowlists/cn-official.txt``) as soft censorship.

Needs: nothing (no login, no cookies). Pacing: 0.5 request/s, no burst.

Reads: ``#b_results li.b_algo`` (title, link — unwrapping ``bing.com/ck/a`` redirects — and
source domain), the count in ``span.sb_count`` when shown (else the number of results read),
the no-results item ``li.b_no``, and the notices Bing China shows in ``li.b_msg``:
``为回应符合本地法律要求的通知，部分搜索结果未予显示`` / "Some results are removed in response to a
notice of local law requirement", and ``一些您可能无法访问的结果已被隐去`` / "Some results have
been hidden because they may be inaccessible to you" — all ``partial_notice``.

Silent censorship (``bing_cn`` only): Citizen Lab's "Missing Links" (2023) found Bing China
hiding terms without a notice, wholly (hard censorship: citizenlab/chat-censorship
``search/rules/bing.txt``) or by showing only authorised domains (soft: ``search/people/
bing-soft.csv``). So on ``bing_cn`` an empty answer is ``zero_results`` and a first page
wholly from ``cn-official.txt`` is ``soft``, both ``suspected`` until a truism confirms them.
``bing`` is the comparison outside that filter: an empty answer there is ``visible`` with
``result_count: 0``.

Truism: ``(<term> OR "的") site:zhihu.com``, its control ``"的" site:zhihu.com``. Found: Bing's
help ("Advanced search options", help.bing.microsoft.com) documents ``OR``/``|`` (OR in
capitals, lowest precedence, so bracketed), ``site:``, quotes that keep words Bing would
otherwise drop as stop words, and that only the first 10 terms count; Citizen Lab restricted
its truism to one domain at a time to detect soft censorship, and zhihu.com is not among the
domains Bing China let through in its data (``search/authorized-domains/bing.csv``).
Assumed, not verified from here: 的 is on nearly every Chinese page and in no rule; Bing China
filters on the whole query text; zhihu.com stays indexed and unauthorised.

Known limits: Bing shows no full-removal notice; a term whose every result is removed shows
the notice over an empty list (``partial_notice`` with count 0). The captcha fingerprint
(``/turing/captcha/``) is modelled on reports, not on a recorded page.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
from selectolax.lexbor import LexborHTMLParser, LexborNode

from probes.contract import Adapter, Case, Pacing, Query, ResultPage, domain_of
from probes.outcome import ErrorKind, Item, Signal, Verdict
from probes.truisms import disjunction

__all__ = ["BingAdapter", "BingCnAdapter"]

_NUMBER = re.compile(r"\d[\d,.\u00a0]*")


class _Bing(Adapter):
    """What both Bings share; not an adapter by itself (it has no ``name``)."""

    pacing = Pacing(rate=0.5, burst=1)
    separator = " "
    fingerprint_files = ("bing",)

    @classmethod
    def fixture_dir(cls, root: Path) -> Path:
        return root / "bing"

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/search", params={"q": query.text})

    def truism(self, query: Query | None) -> Query | None:
        return disjunction(query, operator="OR", common='"的"', restrict="site:zhihu.com")

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        tree = LexborHTMLParser(body)
        results = tree.css_first("#b_results")
        if results is None:
            return None
        items = tuple(item for item in map(_item, results.css("li.b_algo")) if item is not None)
        if not items and results.css_first("li.b_no") is not None:
            return ResultPage(0)
        counter = tree.css_first("span.sb_count")
        numbers = _NUMBER.findall(counter.text()) if counter is not None else []
        if numbers:
            return ResultPage(int(re.sub(r"\D", "", numbers[-1])), items)
        # No count and nothing read: a layout this parser does not know, not an empty answer.
        return ResultPage(len(items), items) if items else None


class BingCnAdapter(_Bing):
    name = "bing_cn"
    version = "1.0"
    default_base_url = "https://cn.bing.com"
    allowlist_name = "cn-official"
    silent_censorship = frozenset({Signal.ZERO_RESULTS, Signal.SOFT})
    cases = (
        Case("bing-Hello.html.gz", Verdict.VISIBLE, count=104_000_000),
        Case(
            "cn-local-law-notice.synthetic.html.gz",
            Verdict.CENSORED,
            Signal.PARTIAL_NOTICE,
            count=104_000_000,
        ),
        Case(
            "en-local-law-notice.synthetic.html.gz",
            Verdict.CENSORED,
            Signal.PARTIAL_NOTICE,
            count=104_000_000,
        ),
        Case(
            "cn-hidden-notice.synthetic.html.gz",
            Verdict.CENSORED,
            Signal.PARTIAL_NOTICE,
            count=104_000_000,
        ),
        Case("no-results.synthetic.html.gz", Verdict.CENSORED, Signal.ZERO_RESULTS, count=0),
        Case("soft.synthetic.html.gz", Verdict.CENSORED, Signal.SOFT, count=104_000_000),
        Case("captcha.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case(
            "redirect.synthetic.html",
            Verdict.ERROR,
            error=ErrorKind.LOGIN_WALL,
            status=302,
            headers={"Location": "https://login.live.com/login.srf?wa=wsignin1.0&wreply=x"},
        ),
        Case("bing-Hello.html.gz", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=500),
    )


class BingAdapter(_Bing):
    name = "bing"
    version = "1.0"
    default_base_url = "https://www.bing.com"
    cases = (
        Case("bing-Hello.html.gz", Verdict.VISIBLE, count=104_000_000),
        Case(
            "en-hidden-notice.synthetic.html.gz",
            Verdict.CENSORED,
            Signal.PARTIAL_NOTICE,
            count=104_000_000,
        ),
        Case(
            "no-results.synthetic.html.gz",
            Verdict.VISIBLE,
            count=0,
            note="no silent censorship known outside China: nothing found, nothing withheld",
        ),
        Case(
            "soft.synthetic.html.gz",
            Verdict.VISIBLE,
            count=104_000_000,
            note="results only from Chinese state media are just results outside China",
        ),
        Case("captcha.synthetic.html", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("bing-Hello.html.gz", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=404),
    )


def _item(node: LexborNode) -> Item | None:
    link = node.css_first("h2 a")
    if link is None:
        return None
    url = _unwrap(link.attributes.get("href") or "")
    return Item(title=link.text(strip=True), url=url, source=domain_of(url))


def _unwrap(url: str) -> str:
    """The target of a ``bing.com/ck/a?...&u=a1<base64url>`` click-tracking link."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not (host == "bing.com" or host.endswith(".bing.com")) or parts.path != "/ck/a":
        return url
    encoded = parse_qs(parts.query).get("u", [""])[0]
    if not encoded.startswith("a1"):
        return url
    payload = encoded[2:]
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return url
