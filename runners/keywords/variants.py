"""Keyword variants: the spellings censors also filter (script, pinyin, padding).

Each variant is a pure function of the original text; a variant identical to the original
(or to an earlier variant) is not probed twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import cache

__all__ = ["ORIGINAL", "VARIANTS", "expand", "syllables", "variant_text"]

ORIGINAL = "original"


@cache
def _converter(config: str) -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC(config).convert


def _traditional(text: str) -> str:
    return _converter("s2t")(text)


def _simplified(text: str) -> str:
    return _converter("t2s")(text)


def syllables(text: str, *, initials: bool = False) -> list[str]:
    # Imported on first use: pypinyin loads its phrase dictionary (~0.3 s), which commands
    # that never build a variant (diff, report, --help) should not pay for.
    from pypinyin import Style, lazy_pinyin

    return list(lazy_pinyin(text, style=Style.FIRST_LETTER if initials else Style.NORMAL))


def _pinyin(text: str) -> str:
    return "".join(syllables(text))


def _pinyin_spaced(text: str) -> str:
    return " ".join(s.strip() for s in syllables(text) if s.strip())


def _pinyin_initials(text: str) -> str:
    return "".join(syllables(text, initials=True)).replace(" ", "")


def _spaced(text: str) -> str:
    """Characters split by spaces: 习 近 平."""
    return " ".join(ch for ch in text if not ch.isspace())


def _dotted(text: str) -> str:
    """Characters split by a full stop, a common evasion: 习.近.平."""
    return ".".join(ch for ch in text if not ch.isspace())


def _reversed(text: str) -> str:
    return text[::-1]


VARIANTS: dict[str, Callable[[str], str]] = {
    "traditional": _traditional,
    "simplified": _simplified,
    "pinyin": _pinyin,
    "pinyin_spaced": _pinyin_spaced,
    "pinyin_initials": _pinyin_initials,
    "spaced": _spaced,
    "dotted": _dotted,
    "reversed": _reversed,
}


def variant_text(name: str, text: str) -> str:
    return text if name == ORIGINAL else VARIANTS[name](text)


def expand(parts: tuple[str, ...], names: Iterable[str]) -> Iterator[tuple[str, tuple[str, ...]]]:
    """The original and each named variant of a term's parts, without repeats."""
    seen: set[tuple[str, ...]] = set()
    for name in (ORIGINAL, *names):
        converted = tuple(variant_text(name, part) for part in parts)
        if converted in seen:
            continue
        seen.add(converted)
        yield name, converted
