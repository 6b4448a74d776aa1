"""Example Search, a made-up JSON API: ``GET https://search.example.org/api/search?q=<query>``.

Answers ``{"total": N, "results": [{"title": ..., "url": ...}]}``; a withheld term adds a
``"notice"``; a throttled client gets ``{"error": "captcha_required"}``.

Needs: nothing. Pacing: 1 request/s. Known limits: it is an example; the platform is made up.

A third-party adapter is an ordinary :class:`probes.Adapter`. What differs from a built-in:
its fingerprints and fixtures live in its own package, so it overrides ``fingerprints`` and
``fixture_dir``. ``pytest --censorprobe-adapter censorprobe_example`` runs censorprobe's
contract kit over it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import httpx

from probes import (
    Adapter,
    Case,
    ErrorKind,
    Item,
    Pacing,
    Query,
    ResultPage,
    Signal,
    Verdict,
    domain_of,
)
from probes.fingerprints import FingerprintSet, builtin_fingerprints, load_fingerprints

__all__ = ["ExampleSearchAdapter"]

_HERE = Path(__file__).resolve().parent


@cache
def _fingerprints() -> FingerprintSet:
    """This package's rows first, then censorprobe's common ones."""
    return load_fingerprints(_HERE / "fingerprints.yaml") + builtin_fingerprints(())


class ExampleSearchAdapter(Adapter):
    name = "example_search"
    version = "0.1"
    default_base_url = "https://search.example.org"
    pacing = Pacing(rate=1.0, burst=1)
    cases = (
        Case("results.json", Verdict.VISIBLE, count=2),
        Case("withheld.json", Verdict.CENSORED, Signal.NOTICE),
        Case("empty.json", Verdict.VISIBLE, count=0, note="a withheld term has a notice"),
        Case("captcha.json", Verdict.ERROR, error=ErrorKind.CAPTCHA),
        Case("results.json", Verdict.ERROR, error=ErrorKind.HTTP_STATUS, status=500),
    )

    @classmethod
    def fixture_dir(cls, root: Path) -> Path:
        return _HERE / "fixtures"  # shipped in the package, wherever the kit's root is

    @property
    def fingerprints(self) -> FingerprintSet:
        return _fingerprints()

    def request(self, query: Query) -> httpx.Request:
        return httpx.Request("GET", f"{self.base_url}/api/search", params={"q": query.text})

    def parse_results(self, query: Query, response: httpx.Response, body: str) -> ResultPage | None:
        try:
            data = json.loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        total, results = data.get("total"), data.get("results")
        if not isinstance(total, int) or isinstance(total, bool) or not isinstance(results, list):
            return None
        items = tuple(
            Item(str(hit["title"]), str(hit["url"]), domain_of(str(hit["url"])))
            for hit in results
            if isinstance(hit, dict) and "title" in hit and "url" in hit
        )
        return ResultPage(max(total, 0), items)
