"""Fingerprints: notices, empty pages, captcha and login pages described as data.

In the spirit of ooni/blocking-fingerprints, every recognisable page is one row in a YAML
file (``probes/fingerprints/<platform>.yaml``, plus ``common.yaml`` for every platform):

.. code-block:: yaml

   - name: weibo.notice.full
     type: contains          # full | prefix | contains | regexp
     scope: body             # body | title | status | url | header:<Name>
     pattern: 搜索结果未予显示
     verdict: censored       # censored | error
     signal: notice          # with censored: notice | partial_notice | zero_results | soft
                             # with error, use `error:` instead: captcha | login_wall | ...

A new notice wording is one more row. Rows are tried in file order; the first match wins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import httpx
import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from probes.outcome import ErrorKind, Signal, Verdict

__all__ = ["Fingerprint", "FingerprintSet", "load_fingerprints", "builtin_fingerprints"]

_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG_TEXT_LIMIT = 400


class Fingerprint(BaseModel):
    """One recognisable page feature and what it means."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    type: Literal["full", "prefix", "contains", "regexp"]
    scope: str
    pattern: str
    verdict: Literal[Verdict.CENSORED, Verdict.ERROR]
    signal: Signal | None = None
    error: ErrorKind | None = None

    @model_validator(mode="after")
    def _meaning_is_complete(self) -> Fingerprint:
        if self.verdict is Verdict.CENSORED and self.signal is None:
            raise ValueError("a censored fingerprint needs a signal")
        if self.verdict is Verdict.ERROR and self.error is None:
            raise ValueError("an error fingerprint needs an error kind")
        if not (
            self.scope in {"body", "title", "status", "url"} or self.scope.startswith("header:")
        ):
            raise ValueError(f"unknown scope {self.scope!r}")
        if self.type == "regexp":
            re.compile(self.pattern)
        return self

    def _matches(self, value: str) -> re.Match[str] | bool:
        if self.type == "full":
            return value.strip() == self.pattern
        if self.type == "prefix":
            return value.startswith(self.pattern)
        if self.type == "contains":
            return self.pattern in value
        return _compiled(self.pattern).search(value) or False

    def match(self, response: httpx.Response, body: str) -> str | None:
        """The matched text (the verbatim notice for body matches), or None."""
        value = _scope_value(self.scope, response, body)
        if value is None:
            return None
        found = self._matches(value)
        if not found:
            return None
        if self.scope != "body":
            return value.strip()
        start = found.start() if isinstance(found, re.Match) else value.find(self.pattern)
        end = found.end() if isinstance(found, re.Match) else start + len(self.pattern)
        return _enclosing_text(value, max(start, 0), end)


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _scope_value(scope: str, response: httpx.Response, body: str) -> str | None:
    if scope == "body":
        return body
    if scope == "status":
        return str(response.status_code)
    if scope == "url":
        try:
            return str(response.url)
        except RuntimeError:  # a response built without its request has no URL
            return None
    if scope == "title":
        found = _TITLE.search(body)
        return found.group(1).strip() if found else None
    return response.headers.get(scope.removeprefix("header:"))


def _enclosing_text(body: str, start: int, end: int) -> str:
    """The text node around a match: from the previous tag end to the next tag start."""
    left = body.rfind(">", max(0, start - _TAG_TEXT_LIMIT), start)
    right = body.find("<", end, end + _TAG_TEXT_LIMIT)
    left = start if left == -1 else left + 1
    right = end if right == -1 else right
    return body[left:right].strip()


@dataclass(frozen=True)
class FingerprintSet:
    """An ordered set of fingerprints; the first that matches wins."""

    rows: tuple[Fingerprint, ...]

    def first_match(self, response: httpx.Response, body: str) -> tuple[Fingerprint, str] | None:
        for row in self.rows:
            text = row.match(response, body)
            if text is not None:
                return row, text
        return None

    def __add__(self, other: FingerprintSet) -> FingerprintSet:
        return FingerprintSet(self.rows + other.rows)


def load_fingerprints(source: Path | str, text: str | None = None) -> FingerprintSet:
    """Read a fingerprint YAML file; errors name the file, the row and the field."""
    raw = text if text is not None else Path(source).read_text(encoding="utf-8")
    data = yaml.safe_load(raw) or []
    if not isinstance(data, list):
        raise ValueError(f"{source}: a fingerprint file is a list of rows")
    rows: list[Fingerprint] = []
    for index, row in enumerate(data):
        try:
            rows.append(Fingerprint.model_validate(row))
        except ValueError as exc:
            raise ValueError(f"{source}: row {index + 1}: {exc}") from exc
    _check_unique(source, rows)
    return FingerprintSet(tuple(rows))


def _check_unique(source: Path | str, rows: Iterable[Fingerprint]) -> None:
    seen: set[str] = set()
    for row in rows:
        if row.name in seen:
            raise ValueError(f"{source}: fingerprint name {row.name!r} used twice")
        seen.add(row.name)


@cache
def builtin_fingerprints(names: Sequence[str]) -> FingerprintSet:
    """The packaged fingerprint files for these names (``common`` is always last)."""
    result = FingerprintSet(())
    folder = resources.files(__package__).joinpath("fingerprints")
    for name in (*names, "common"):
        entry = folder.joinpath(f"{name}.yaml")
        if entry.is_file():
            result = result + load_fingerprints(
                f"probes/fingerprints/{name}.yaml", entry.read_text("utf-8")
            )
    return result
