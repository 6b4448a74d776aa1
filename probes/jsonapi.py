"""Shared by the social-platform adapters: JSON API answers and official accounts.

Private (the registry skips modules whose name starts with ``_``).
"""

from __future__ import annotations

import contextlib
import json
import re
from functools import cache
from importlib import resources
from typing import Any

import httpx

from probes.contract import Adapter, Query, ResultPage
from probes.outcome import Outcome

__all__ = ["JsonApiAdapter", "official_source", "plain_text"]

_TAGS = re.compile(r"<[^>]+>")


def plain_text(html: str, limit: int = 120) -> str:
    """Text of a snippet that may carry highlight markup (``<em>``), whitespace folded."""
    return " ".join(_TAGS.sub("", html).split())[:limit]


@cache
def _official_accounts() -> dict[str, str]:
    text = resources.files(__package__).joinpath("allowlists", "cn-official-accounts.txt")
    accounts: dict[str, str] = {}
    for line in text.read_text("utf-8").splitlines():
        fields = line.split("#", 1)[0].split()
        if len(fields) == 2:
            accounts[fields[0]] = fields[1].lower()
    return accounts


def official_source(account: str, platform_domain: str) -> str:
    """The ``source`` of a post: the organisation's domain for a known official account.

    Posts on social platforms all live on the platform's own domain, so the domain allow-list
    cannot tell state media from anyone else. Account names are unique on Weibo, Bilibili,
    Douyin, Zhihu and WeChat, so ``probes/allowlists/cn-official-accounts.txt`` maps the
    accounts of official organisations to their domains; every other account is reported as
    the platform's domain, which is never on an allow-list.
    """
    return _official_accounts().get(account.strip(), platform_domain)


def _json_object(response: httpx.Response) -> dict[str, Any] | None:
    if not response.content:
        return None
    try:
        data = json.loads(response.content)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _canonical(response: httpx.Response, data: dict[str, Any]) -> httpx.Response:
    """The response with its JSON re-encoded without ``\\u`` escapes.

    APIs escape non-ASCII text differently (Weibo escapes every CJK character), so the
    notice fingerprints, written as the reader sees them, are matched against this form.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in {"content-encoding", "content-length", "content-type"}
    }
    headers["Content-Type"] = "application/json; charset=utf-8"
    canonical = httpx.Response(response.status_code, headers=headers, content=text.encode())
    with contextlib.suppress(RuntimeError):  # a response built by hand may have no request
        canonical.request = response.request
    return canonical


class JsonApiAdapter(Adapter):
    """An adapter whose endpoint answers JSON.

    Order of reading: fingerprints (on the canonical JSON, so a notice in any field is
    found), then the API's own refusal fields (:meth:`api_error`: login, anti-bot, rate
    limits), then the default flow (HTTP status, :meth:`parse_data`, allow-list). A body that
    is not a JSON object goes through the default flow untouched, so HTML captcha and login
    pages are still recognised by their fingerprints, and anything else is a ``parse`` error.
    """

    def api_error(self, data: dict[str, Any], response: httpx.Response) -> Outcome | None:
        """An error outcome when the API refused to search; None to read the results."""
        return None

    def parse_data(self, query: Query, data: dict[str, Any]) -> ResultPage | None:
        """Read the decoded JSON; None when it is not a results answer."""
        raise NotImplementedError  # pragma: no cover - abstract

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        data = _json_object(response)
        return None if data is None else self.parse_data(query, data)

    def _classify(self, query: Query, response: httpx.Response) -> Outcome:
        data = _json_object(response)
        if data is None:
            return super()._classify(query, response)
        canonical = _canonical(response, data)
        if self.fingerprints.first_match(canonical, canonical.text) is None:
            refusal = self.api_error(data, response)
            if refusal is not None:
                return refusal
        return super()._classify(query, canonical)
