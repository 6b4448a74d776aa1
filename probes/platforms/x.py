"""X (Twitter): ``GET https://api.x.com/2/tweets/search/recent?query=<query>`` (API v2).

JSON ``{"data": [{"id", "text", "withheld"?}, ...], "meta": {"result_count": N}}``; no
matching post in the last seven days is ``{"meta": {"result_count": 0}}``.

What X does: it does not hide search terms; it withholds single posts or whole accounts in
the countries whose legal demands it accepts. The API still returns such posts, with
``withheld: {"country_codes": [...], "copyright": ..., "scope": "tweet" | "user"}``
(requested through ``tweet.fields=withheld``). A page where some posts carry ``withheld`` is
recorded as ``partial_notice`` with the country codes as the notice (X says those posts are
withheld there; whether the vantage is one of those countries is for the analysis to
decide). X itself shows "This Post has been withheld in <country> in response to a legal
demand" in its apps.

Errors: HTTP 401 (bad or revoked token) and 403 (the app lacks access to this endpoint) are
``login_wall`` with X's explanation as detail; 429 is ``rate_limited``; a 200 answer with
only ``errors`` is ``parse`` with the first error.

Needs: an X API bearer token in ``CENSORPROBE_X_BEARER_TOKEN``; without it
:meth:`XAdapter.check_ready` stops the run before it starts. The token goes only into the
``Authorization`` header, which the runner redacts from evidence.

Pacing: one request every 15 seconds, the 60 requests per 15 minutes of X's Basic access;
raise it (``--rate``) on higher access levels (450 per 15 minutes per app at most).

Silent censorship: none known — X withholds posts, not search terms — so a search that finds
no post is ``visible`` with ``result_count: 0`` (nothing found, nothing withheld), and no truism
is needed (none is given; the query language has ``OR`` should one ever be).

Limits: recent search covers seven days only. Fixtures: the results pages are real (tweepy's
recorded cassettes, see ``tests/fixtures/x/SOURCES.md``), the others synthetic.
"""

from __future__ import annotations

from typing import Any

import httpx

from probes.contract import AdapterConfigError, Case, Pacing, Query, ResultPage
from probes.jsonapi import JsonApiAdapter, plain_text
from probes.outcome import ErrorKind, Item, Outcome, Signal, Verdict

__all__ = ["XAdapter"]

TOKEN_VARIABLE = "CENSORPROBE_X_BEARER_TOKEN"
_CREDENTIAL_STATUSES = frozenset({401, 403})


def _withheld(post: dict[str, Any]) -> list[str]:
    withheld = post.get("withheld")
    codes = withheld.get("country_codes") if isinstance(withheld, dict) else None
    return [str(code) for code in codes] if isinstance(codes, list) else []


def _item(post: dict[str, Any]) -> Item:
    return Item(
        title=plain_text(str(post.get("text", ""))),
        url=f"https://x.com/i/web/status/{post.get('id', '')}",
        source="x.com",
    )


class XAdapter(JsonApiAdapter):
    name = "x"
    version = "1.0"
    default_base_url = "https://api.x.com"
    pacing = Pacing(rate=1 / 15, burst=1)
    env_vars = (TOKEN_VARIABLE,)
    cases = (
        Case("results.synthetic.json", Verdict.VISIBLE, count=3, query="weather"),
        Case(
            "empty.synthetic.json",
            Verdict.VISIBLE,
            count=0,
            query="zzqx",
            note="no post: nothing found, nothing withheld",
        ),
        Case("withheld.synthetic.json", Verdict.CENSORED, Signal.PARTIAL_NOTICE, count=3),
        Case("unauthorized.synthetic.json", Verdict.ERROR, error=ErrorKind.LOGIN_WALL, status=401),
        Case("forbidden.synthetic.json", Verdict.ERROR, error=ErrorKind.LOGIN_WALL, status=403),
        Case("too-many.synthetic.json", Verdict.ERROR, error=ErrorKind.RATE_LIMITED, status=429),
        Case("invalid-query.synthetic.json", Verdict.ERROR, error=ErrorKind.PARSE, status=400),
    )

    def check_ready(self) -> None:
        if not self.env.get(TOKEN_VARIABLE, "").strip():
            raise AdapterConfigError(
                f"x needs credentials: set {TOKEN_VARIABLE} to an X API v2 bearer token"
            )

    def request(self, query: Query) -> httpx.Request:
        token = self.env.get(TOKEN_VARIABLE, "").strip()
        return httpx.Request(
            "GET",
            f"{self.base_url}/2/tweets/search/recent",
            params={
                "query": query.text,
                "max_results": "10",
                "tweet.fields": "withheld,author_id,created_at",
            },
            headers={"Authorization": f"Bearer {token}"} if token else {},
        )

    def api_error(self, data: dict[str, Any], response: httpx.Response) -> Outcome | None:
        status = response.status_code
        detail = str(data.get("detail") or data.get("title") or "")
        if status in _CREDENTIAL_STATUSES:
            return Outcome.failed(ErrorKind.LOGIN_WALL, f"HTTP {status}: {detail}")
        errors = data.get("errors")
        if "data" not in data and "meta" not in data and isinstance(errors, list) and errors:
            first = errors[0] if isinstance(errors[0], dict) else {}
            message = first.get("message") or first.get("detail") or ""
            return Outcome.failed(ErrorKind.PARSE, f"HTTP {status}: {message}")
        return None

    def _classify(self, query: Query, response: httpx.Response) -> Outcome:
        outcome = super()._classify(query, response)
        if outcome.verdict is Verdict.ERROR:
            return outcome
        notice = self._withheld_notice(response)
        if notice is None:
            return outcome
        return Outcome.censored(
            Signal.PARTIAL_NOTICE,
            notice=notice,
            result_count=outcome.result_count,
            items=outcome.items,
            fingerprint="x.withheld",
        )

    def _withheld_notice(self, response: httpx.Response) -> str | None:
        data = response.json()
        posts = data.get("data") if isinstance(data, dict) else None
        withheld = [p for p in posts or [] if isinstance(p, dict) and _withheld(p)]
        if not withheld:
            return None
        countries = sorted({code for post in withheld for code in _withheld(post)})
        return f"{len(withheld)} of {len(posts or [])} posts withheld in: {', '.join(countries)}"

    def parse_data(self, query: Query, data: dict[str, Any]) -> ResultPage | None:
        meta = data.get("meta")
        count = meta.get("result_count") if isinstance(meta, dict) else None
        if not isinstance(count, int):
            return None
        posts = data.get("data") or []
        if not isinstance(posts, list):
            return None
        return ResultPage(count, tuple(_item(post) for post in posts if isinstance(post, dict)))
