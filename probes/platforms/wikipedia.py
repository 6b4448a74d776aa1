"""Wikipedia full-text search through the MediaWiki API: ``wikipedia_zh`` and ``wikipedia_en``.

``GET https://{zh|en}.wikipedia.org/w/api.php?action=query&list=search&srsearch=<query>
&format=json&maxlag=5`` — JSON. Wikipedia filters no search terms itself; it is a control for
what exists to be found (and the Chinese one is blocked in China as a whole, a network error).
With no silent censorship known, a search with no hits is ``visible`` with ``result_count: 0``
— nothing found, nothing withheld — and no truism is needed (none is given; CirrusSearch's
``OR`` would allow one).

Needs: nothing (no login, no token). Pacing: 1 request/s, burst 2 — inside Wikimedia's
API etiquette; ``maxlag=5`` makes the API refuse rather than add load when its replicas lag.

Reads: ``query.searchinfo.totalhits`` (older answers may lack it: then the number of hits
read) and ``query.search[].title`` (page URL built from the title). API ``error`` objects
become errors: ``maxlag`` and ``ratelimited`` are ``rate_limited`` (with ``Retry-After`` when
sent), any other code ``http_status``. JSON of any other shape is a ``parse`` error.

Known limits: CirrusSearch refuses queries of more than 300 characters (Wikimedia search
team, wikimedia-search list, August 2015), so longer ones are refused before they are sent;
only the first page of hits (``srlimit=10``); a misspelling with only a suggestion reads as
no hits.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

from probes.contract import Adapter, Case, Pacing, Query, ResultPage, domain_of
from probes.outcome import ErrorKind, Item, Outcome, Verdict

__all__ = ["WikipediaEnAdapter", "WikipediaZhAdapter"]

#: API error codes that mean "slow down", not "broken".
_BACKOFF_CODES = frozenset({"maxlag", "ratelimited"})


class _Wikipedia(Adapter):
    """What both Wikipedias share; not an adapter by itself (it has no ``name``)."""

    pacing = Pacing(rate=1.0, burst=2)
    separator = " "
    max_query_length = 300

    @classmethod
    def fixture_dir(cls, root: Path) -> Path:
        return root / "wikipedia"

    def request(self, query: Query) -> httpx.Request:
        params = {
            "action": "query",
            "list": "search",
            "srsearch": query.text,
            "srlimit": "10",
            "format": "json",
            "maxlag": "5",
        }
        return httpx.Request("GET", f"{self.base_url}/w/api.php", params=params)

    def _classify(self, query: Query, response: httpx.Response) -> Outcome:
        data = _json(response.content)
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict) and isinstance(error.get("code"), str):
            return _api_error(error, response)
        return super()._classify(query, response)

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        data = _json(response.content)
        found = data.get("query") if isinstance(data, dict) else None
        hits = found.get("search") if isinstance(found, dict) else None
        if not isinstance(found, dict) or not isinstance(hits, list):
            return None
        titles: list[str] = []
        for hit in hits:
            title = hit.get("title") if isinstance(hit, dict) else None
            if not isinstance(title, str) or not title:
                return None
            titles.append(title)
        info = found.get("searchinfo")
        total = info.get("totalhits") if isinstance(info, dict) else None
        count = total if isinstance(total, int) and not isinstance(total, bool) else len(titles)
        source = domain_of(self.base_url)
        items = tuple(Item(title, self._page_url(title), source) for title in titles)
        return ResultPage(count, items)

    def _page_url(self, title: str) -> str:
        return f"{self.base_url}/wiki/{quote(title.replace(' ', '_'), safe='/:(),')}"


class WikipediaZhAdapter(_Wikipedia):
    name = "wikipedia_zh"
    version = "1.0"
    default_base_url = "https://zh.wikipedia.org"
    cases = (
        Case("zh-current-format.synthetic.json", Verdict.VISIBLE, count=2841, query="天气"),
        Case("zh-empty.synthetic.json", Verdict.VISIBLE, count=0),
        Case("maxlag.synthetic.json", Verdict.ERROR, error=ErrorKind.RATE_LIMITED),
        Case("internal-error.synthetic.json", Verdict.ERROR, error=ErrorKind.HTTP_STATUS),
        Case(
            "zh-current-format.synthetic.json",
            Verdict.ERROR,
            error=ErrorKind.HTTP_STATUS,
            status=502,
        ),
    )


class WikipediaEnAdapter(_Wikipedia):
    name = "wikipedia_en"
    version = "1.0"
    default_base_url = "https://en.wikipedia.org"
    cases = (
        Case("en-barack-obama.json", Verdict.VISIBLE, count=12987, query="Barack Obama"),
        Case("en-porsche.json", Verdict.VISIBLE, count=5335, query="Porsche"),
        Case("en-celtuce.json", Verdict.VISIBLE, count=1, query="Celtuce"),
        Case("en-butteryfly.json", Verdict.VISIBLE, count=1, query="butteryfly"),
        Case(
            "en-hallelulejah.json",
            Verdict.VISIBLE,
            count=0,
            query="hallelulejah",
            note="a misspelling: no hits, only a suggestion",
        ),
        Case(
            "en-qmxjsudek.json",
            Verdict.VISIBLE,
            count=0,
            query="qmxjsudek",
            note="a nonsense word: nothing found, nothing withheld",
        ),
        Case(
            "ratelimited.synthetic.json",
            Verdict.ERROR,
            error=ErrorKind.RATE_LIMITED,
            headers={"MediaWiki-API-Error": "ratelimited"},
        ),
        Case(
            "maxlag.synthetic.json",
            Verdict.ERROR,
            error=ErrorKind.RATE_LIMITED,
            headers={"Retry-After": "5", "MediaWiki-API-Error": "maxlag"},
        ),
        Case("en-porsche.json", Verdict.ERROR, error=ErrorKind.RATE_LIMITED, status=429),
    )


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, RecursionError):
        return None


def _api_error(error: dict[str, Any], response: httpx.Response) -> Outcome:
    code = str(error.get("code", ""))
    detail = f"{code}: {error.get('info', '')}"[:300]
    if code in _BACKOFF_CODES:
        lag = error.get("lag")
        fallback = (
            float(lag) if isinstance(lag, int | float) and not isinstance(lag, bool) else None
        )
        return Outcome.failed(
            ErrorKind.RATE_LIMITED, detail, retry_after=_retry_after(response, fallback)
        )
    return Outcome.failed(ErrorKind.HTTP_STATUS, detail)


def _retry_after(response: httpx.Response, fallback: float | None) -> float | None:
    """Seconds from a ``Retry-After: <seconds>`` header (the form MediaWiki sends)."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isascii() and value.isdigit() else fallback
