"""Censorship rules the testbed enforces: YAML rule files and Citizen-Lab-style ``.txt`` lists.

YAML::

    allowlist: [people.com.cn, xinhuanet.com]   # sources left for `soft` rules (optional)
    rules:
      - parts: [习近平, 抗议]        # every part must appear in the query
        action: notice             # notice | partial_notice | zero_results | soft
        epochs: [2, 3]             # optional: in force only at these epochs
        since: 2026-11-01T00:00:00Z   # optional: in force from this time ...
        until: 2026-12-01T00:00:00Z   # ... until this time

Text (Citizen Lab chat-censorship ``search/rules/*.txt``): one rule a line, `` + `` joins parts
that must all appear; each line becomes a ``notice`` rule in force at every epoch.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

__all__ = ["Action", "Rule", "RuleBook", "RulesError", "load_rules", "DEFAULT_ALLOWLIST"]

DEFAULT_ALLOWLIST = ("people.com.cn", "xinhuanet.com", "gov.cn", "cctv.com")


class RulesError(ValueError):
    """A rules file could not be read; the message names the file and the rule."""


class Action(StrEnum):
    NOTICE = "notice"
    PARTIAL_NOTICE = "partial_notice"
    ZERO_RESULTS = "zero_results"
    SOFT = "soft"


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    parts: tuple[str, ...] = Field(min_length=1)
    action: Action = Action.NOTICE
    epochs: frozenset[int] | None = None
    since: datetime | None = None
    until: datetime | None = None

    def in_force(self, epoch: int, now: datetime) -> bool:
        if self.epochs is not None and epoch not in self.epochs:
            return False
        if self.since is not None and now < self.since:
            return False
        return not (self.until is not None and now >= self.until)

    def triggered_by(self, query: str) -> bool:
        return all(part in query for part in self.parts)


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    allowlist: tuple[str, ...] = DEFAULT_ALLOWLIST
    rules: list[Rule] = []


@dataclass(frozen=True)
class RuleBook:
    """Rules in file order, and the sources left standing by `soft` rules."""

    rules: tuple[Rule, ...]
    allowlist: tuple[str, ...] = DEFAULT_ALLOWLIST

    def match(self, query: str, epoch: int, now: datetime) -> Rule | None:
        """The first rule in force that the query triggers."""
        for rule in self.rules:
            if rule.in_force(epoch, now) and rule.triggered_by(query):
                return rule
        return None

    @classmethod
    def combine(cls, books: Iterable[RuleBook]) -> RuleBook:
        books = list(books)
        rules = tuple(rule for book in books for rule in book.rules)
        allow = next(
            (book.allowlist for book in books if book.allowlist != DEFAULT_ALLOWLIST),
            DEFAULT_ALLOWLIST,
        )
        return cls(rules, allow)


def load_rules(paths: Sequence[Path | str]) -> RuleBook:
    return RuleBook.combine(_load_one(Path(path)) for path in paths)


def _load_one(path: Path) -> RuleBook:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise RulesError(f"{path}: cannot read: {exc.strerror}") from exc
    if path.suffix == ".txt":
        return RuleBook(tuple(_citizenlab_rules(path, text)))
    try:
        data = yaml.safe_load(text) or {}
        parsed = _RulesFile.model_validate(data)
    except yaml.YAMLError as exc:
        raise RulesError(f"{path}: not valid YAML: {exc}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RulesError(f"{path}: field {where}: {first['msg']}") from exc
    return RuleBook(tuple(parsed.rules), parsed.allowlist)


def _citizenlab_rules(path: Path, text: str) -> Iterable[Rule]:
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = tuple(part.strip() for part in line.split(" + "))
        if not all(parts):
            raise RulesError(f"{path}:{number}: empty part in rule {line!r}")
        yield Rule(parts=parts, action=Action.NOTICE)
