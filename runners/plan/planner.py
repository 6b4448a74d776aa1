"""Planning: keyword lists × variants × platforms × vantage → probes, lazily."""

from __future__ import annotations

import hashlib
from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from probes.contract import Adapter, Query
from probes.registry import get_adapter
from runners.keywords.lists import (
    MAX_ERRORS,
    Control,
    KeywordError,
    KeywordListsInvalid,
    LoadedList,
    Term,
    load_lists,
)
from runners.keywords.variants import expand
from runners.plan.config import RunConfig

__all__ = [
    "NoControlsError",
    "Plan",
    "Probe",
    "Shard",
    "TermRef",
    "check_query_lengths",
    "make_plan",
    "plan_controls",
    "plan_probes",
    "prepare",
    "probe_key",
]


@dataclass(frozen=True, slots=True)
class TermRef:
    list: str
    id: str
    text: str
    parts: tuple[str, ...]
    category: str
    variant: str
    tags: tuple[str, ...] = ()
    note: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "text": self.text,
            "parts": list(self.parts),
            "list": self.list,
            "category": self.category,
            "variant": self.variant,
            "tags": list(self.tags),
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class Probe:
    key: str
    term: TermRef
    platform: str
    vantage: str
    query: Query
    control: bool = False


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``: a deterministic share of the plan by key."""

    index: int
    count: int

    @classmethod
    def parse(cls, spec: str) -> Shard:
        try:
            index, count = (int(part) for part in spec.split("/"))
        except ValueError:
            raise ValueError(f"shard {spec!r} is not of the form i/n (e.g. 2/4)") from None
        if not 1 <= index <= count:
            raise ValueError(f"shard {spec!r}: i must be between 1 and n")
        return cls(index, count)

    def holds(self, key: str) -> bool:
        digest = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
        return digest % self.count == self.index - 1

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def probe_key(list_id: str, term_id: str, variant: str, platform: str, vantage: str) -> str:
    return "/".join((list_id, term_id, variant, platform, vantage))


def _probes_of(
    list_id: str,
    entry: Term | Control,
    variants: Sequence[str],
    platform: str,
    vantage: str,
    separator: str,
    control: bool,
) -> Iterator[Probe]:
    for variant, parts in expand(entry.parts, variants):
        query = Query.of(parts, separator)
        yield Probe(
            key=probe_key(list_id, entry.id, variant, platform, vantage),
            term=TermRef(
                list_id,
                entry.id,
                query.text,
                parts,
                entry.category,
                variant,
                tuple(entry.tags) if isinstance(entry, Term) else (),
                entry.note,
            ),
            platform=platform,
            vantage=vantage,
            query=query,
            control=control,
        )


def plan_probes(
    lists: Iterable[LoadedList],
    platform: str,
    vantage: str,
    separator: str = " ",
    shard: Shard | None = None,
) -> Iterator[Probe]:
    """Every term of every list, each variant its own probe; generated as consumed."""
    for loaded in lists:
        content = loaded.content
        for term in content.terms:  # streamed from the list's spool
            variants = term.variants or content.variants
            for probe in _probes_of(
                content.id, term, variants, platform, vantage, separator, False
            ):
                if shard is None or shard.holds(probe.key):
                    yield probe


def plan_controls(
    lists: Iterable[LoadedList], platform: str, vantage: str, separator: str = " "
) -> list[Probe]:
    """The benign control terms of every list (original spelling only)."""
    return [
        probe
        for loaded in lists
        for control in loaded.content.controls
        for probe in _probes_of(loaded.content.id, control, (), platform, vantage, separator, True)
    ]


def check_query_lengths(lists: Iterable[LoadedList], adapters: Iterable[Adapter]) -> None:
    """Refuse terms and controls whose query, in some variant, is longer than a platform takes.

    Such a query is cut or refused by the platform (``Adapter.max_query_length``), so its
    answer would be about another query. Raises :class:`KeywordListsInvalid` naming each.
    """
    limited = [adapter for adapter in adapters if adapter.max_query_length is not None]
    errors: list[KeywordError] = []
    more = 0
    for loaded in lists if limited else ():
        list_variants = loaded.content.variants
        for section, index, line, entry in loaded.content.entries():
            field = "all" if isinstance(entry, Term) and entry.all is not None else "text"
            variants = (entry.variants or list_variants) if isinstance(entry, Term) else ()
            spellings = list(expand(entry.parts, variants))
            for adapter in limited:
                limit = adapter.max_query_length or 0
                query, variant = max(
                    ((adapter.separator.join(parts), name) for name, parts in spellings),
                    key=lambda pair: len(pair[0]),
                )
                if len(query) > limit and len(errors) >= MAX_ERRORS:
                    more += 1
                elif len(query) > limit:
                    errors.append(
                        KeywordError(
                            str(loaded.path),
                            line,
                            f"{section}[{index}].{field}",
                            f"the {variant} query is {len(query)} characters long, but "
                            f"{adapter.name} takes at most {limit} (it would cut or refuse "
                            "it): shorten the term or leave the platform out",
                        )
                    )
    if more:
        last = errors[-1]
        errors.append(
            KeywordError(last.path, last.line, "", f"... and {more} more queries too long")
        )
    if errors:
        raise KeywordListsInvalid(errors)


class NoControlsError(ValueError):
    pass


def prepare(config: RunConfig) -> tuple[list[LoadedList], dict[str, Adapter]]:
    """Everything that can fail before a request is sent: lists, adapters, credentials."""
    lists = load_lists(config.lists)
    if not any(loaded.content.controls for loaded in lists):
        raise NoControlsError(
            "no control terms in any list: add a `controls:` section (benign terms that must be "
            "visible) so that zero results and notices can be told from a broken platform"
        )
    adapters: dict[str, Adapter] = {}
    for platform in config.platforms:
        adapter = get_adapter(platform)(base_url=config.base_urls.get(platform))
        adapter.check_ready()
        adapters[platform] = adapter
    check_query_lengths(lists, adapters.values())
    return lists, adapters


@dataclass
class Plan:
    """What a run will do, computed before it starts (the CLI shows the total)."""

    config: RunConfig
    lists: list[LoadedList]
    adapters: dict[str, Adapter]
    shard: Shard | None = field(default=None)

    def probes(self, platform: str, done: Container[str]) -> Iterator[Probe]:
        adapter = self.adapters[platform]
        for probe in plan_probes(
            self.lists, platform, self.config.vantage, adapter.separator, self.shard
        ):
            if probe.key not in done:
                yield probe

    def controls(self, platform: str) -> list[Probe]:
        return plan_controls(
            self.lists, platform, self.config.vantage, self.adapters[platform].separator
        )

    def totals(self) -> dict[str, int]:
        """The number of probes planned on each platform."""
        return {
            platform: sum(1 for _ in self.probes(platform, set())) for platform in self.adapters
        }

    def total(self) -> int:
        return sum(self.totals().values())


def make_plan(config: RunConfig) -> Plan:
    lists, adapters = prepare(config)
    return Plan(config, lists, adapters, Shard.parse(config.shard) if config.shard else None)
