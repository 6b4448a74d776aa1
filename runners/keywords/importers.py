"""Importers: published keyword lists (Citizen Lab, China Digital Times, plain lines) as lists.

Pure: bytes in, a :class:`~runners.keywords.lists.KeywordList`-shaped dict and an
:class:`ImportReport` out; writing the YAML is the caller's business. Term ids derive from
the list id and the term's parts, so importing the same file again gives the same ids, and
two imported lists never share an id (a run refuses ids used twice across its lists).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pypinyin import lazy_pinyin

from runners.keywords.lists import KeywordList

__all__ = [
    "DEFAULT_CONTROLS",
    "Format",
    "ImportOptions",
    "ImportReport",
    "SourceError",
    "decode",
    "import_bytes",
    "import_file",
    "term_id",
]

DEFAULT_CONTROLS = ("天气", "牛肉面", "足球")
"""Benign terms (weather, beef noodles, football) every platform should show results for."""

_ID_DIGITS = 10
_RULE_JOIN = re.compile(r"(?<!\S)\+(?!\S)")  # `a + b`: a plus with space (or an end) both sides
_CDT_JOIN = re.compile("＋")  # full-width plus: 昆明＋PX
_CITIZENLAB_REPO = "https://github.com/citizenlab/chat-censorship/tree/master/search"


class Format(StrEnum):
    CITIZENLAB_RULES = "citizenlab-rules"
    CITIZENLAB_PEOPLE = "citizenlab-people"
    CDT = "cdt"
    LINES = "lines"


class SourceError(ValueError):
    """A problem in the source file, at a line."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class ImportOptions:
    """What the source does not say; ``None`` means the format's default."""

    list_id: str | None = None
    category: str | None = None
    licence: str | None = None
    source_url: str | None = None
    retrieved: date = field(default_factory=date.today)
    language: str = "zh"
    controls: bool = True


@dataclass
class ImportReport:
    file: str
    format: Format
    encoding: str
    list_id: str
    entries: int = 0
    terms: int = 0
    combinations: int = 0
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (line, first seen at)
    controls: tuple[str, ...] = ()
    licence: str | None = None

    def summary(self) -> list[str]:
        lines = [
            f"read {self.file} ({self.format.value}) as {self.encoding}: {self.entries} entries",
            f"list {self.list_id}: {self.terms} terms ({self.combinations} combinations), "
            f"{len(self.duplicates)} duplicates merged",
        ]
        lines += [f"  line {line} repeats line {first}" for line, first in self.duplicates[:5]]
        if len(self.duplicates) > 5:
            lines.append(f"  ... and {len(self.duplicates) - 5} more")
        if self.controls:
            lines.append(
                f"added {len(self.controls)} benign controls ({', '.join(self.controls)}); "
                "a run needs controls (--no-controls leaves them out)"
            )
        else:
            lines.append("no controls added: a run needs some, in this list or another")
        lines.append(f"licence: {self.licence or 'not stated (set --licence)'}")
        return lines


@dataclass(frozen=True)
class _Entry:
    """One keyword read from the source."""

    line: int
    parts: tuple[str, ...]
    note: str | None = None


@dataclass(frozen=True)
class _Spec:
    parse: Callable[[str, str], Iterator[_Entry]]
    describe: str
    publisher: str | None  # None: the file's own name
    prefix: str  # of the default list id
    category: str = "imported"
    licence: str | None = None
    url: str | None = None
    note_label: str | None = None  # what the notes of merged entries are


def _numbered(text: str) -> Iterator[tuple[int, str]]:
    """Lines with their 1-based numbers (only \\n, \\r\\n and \\r end a line)."""
    for number, line in enumerate(io.StringIO(text, newline=None), start=1):
        yield number, line.rstrip("\n")


def _split(value: str, joiner: re.Pattern[str], path: str, line: int) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in joiner.split(value.strip()))
    if not all(parts):
        raise SourceError(path, line, f"empty part in {value.strip()!r}")
    return parts


def _rules(text: str, path: str) -> Iterator[_Entry]:
    for number, line in _numbered(text):
        if line.strip():
            yield _Entry(number, _split(line, _RULE_JOIN, path, number))


def _lines(text: str, path: str) -> Iterator[_Entry]:
    for number, line in _numbered(text):
        term = line.strip()
        if term and not term.startswith("#"):
            yield _Entry(number, (term,))


def _csv_rows(text: str, path: str, required: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as {lower-cased header: stripped value}, with the line each row starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    if required not in header:
        raise SourceError(path, 1, f"expected a CSV header with a `{required}` column")
    end = reader.line_num
    for row in reader:
        start, end = end + 1, reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise SourceError(path, start, f"{len(row)} fields where the header has {len(header)}")
        yield start, {name: cell.strip() for name, cell in zip(header, row, strict=True)}


def _people(text: str, path: str) -> Iterator[_Entry]:
    for line, row in _csv_rows(text, path, "isolation"):
        yield _Entry(line, _split(row["isolation"], _RULE_JOIN, path, line), row.get("sample"))


def _cdt(text: str, path: str) -> Iterator[_Entry]:
    """The `keyword` column; any other filled-in column (a translation, a date) is the note."""
    for line, row in _csv_rows(text, path, "keyword"):
        others = [f"{name}: {value}" for name, value in row.items() if value and name != "keyword"]
        yield _Entry(line, _split(row["keyword"], _CDT_JOIN, path, line), ", ".join(others) or None)


_CITIZENLAB = "Citizen Lab, chat-censorship: Missing Links (2023)"
_SPECS: dict[Format, _Spec] = {
    Format.CITIZENLAB_RULES: _Spec(
        parse=_rules,
        describe="Citizen Lab search censorship rules; every part of a rule must appear",
        publisher=_CITIZENLAB,
        prefix="citizenlab-rules",
        licence="CC BY-NC-SA 4.0",
        url=f"{_CITIZENLAB_REPO}/rules",
    ),
    Format.CITIZENLAB_PEOPLE: _Spec(
        parse=_people,
        describe="Citizen Lab isolated censorship rules for people's names",
        publisher=_CITIZENLAB,
        prefix="citizenlab-people",
        category="people",
        licence="CC BY-NC-SA 4.0",
        url=f"{_CITIZENLAB_REPO}/people",
        note_label="sample",
    ),
    Format.CDT: _Spec(
        parse=_cdt,
        describe="China Digital Times, words blocked from Weibo search",
        publisher="China Digital Times",
        prefix="cdt",
    ),
    Format.LINES: _Spec(parse=_lines, describe="one term a line", publisher=None, prefix=""),
}


def decode(raw: bytes, path: str) -> tuple[str, str]:
    """The text and the encoding read: a BOM decides; else UTF-8, else GB18030.

    A file that is mostly valid UTF-8 with a few bad bytes is damaged UTF-8, not GB18030
    (reading it as GB18030 would succeed and give garbage), so that is an error.
    """
    if raw.startswith(codecs.BOM_UTF8):
        return _strict(raw, "utf-8-sig", path), "UTF-8 with BOM"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _strict(raw, "utf-16", path), "UTF-16"
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        loose = raw.decode("utf-8", errors="replace")
        bad = loose.count("\ufffd")
        if sum(ord(ch) > 0x7F for ch in loose) - bad > bad:
            _strict(raw, "utf-8", path)  # raises, naming the line
    return _strict(raw, "gb18030", path), "GB18030"


def _strict(raw: bytes, encoding: str, path: str) -> str:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].decode(encoding, errors="replace").count("\n") + 1
        name = encoding.removesuffix("-sig").upper()
        raise SourceError(
            path, line, f"cannot read as {name} (byte 0x{raw[exc.start]:02x}); save it as UTF-8"
        ) from None


def term_id(prefix: str, list_id: str, parts: tuple[str, ...], taken: Collection[str] = ()) -> str:
    """``prefix-`` and a digest of the list id and the parts, in any order.

    The digest grows in the (unlikely) case that the short one is already ``taken``.
    """
    key = "\n".join((list_id, *sorted(parts)))
    digest = hashlib.sha256(key.encode()).hexdigest()
    digits = _ID_DIGITS
    while f"{prefix}-{digest[:digits]}" in taken and digits < len(digest):
        digits += 1
    return f"{prefix}-{digest[:digits]}"


def _slug(stem: str) -> str:
    """An id from a file name; Chinese names go through pinyin (政治类型 -> zheng-zhi-lei-xing)."""
    text = "-".join(lazy_pinyin(stem)).lower()
    return re.sub(r"[^a-z0-9._]+", "-", text).strip("-._")


def _default_list_id(spec: _Spec, file_name: str) -> str:
    slug = _slug(Path(file_name).stem) or "imported"
    return (f"{spec.prefix}-{slug}" if spec.prefix else slug)[:80].rstrip("-._")


def _merge(entries: Iterator[_Entry], report: ImportReport) -> list[tuple[_Entry, list[str]]]:
    """One entry per set of parts (in any order), with every note; repeats are counted."""
    merged: dict[tuple[str, ...], tuple[_Entry, list[str]]] = {}
    for entry in entries:
        report.entries += 1
        key = tuple(sorted(entry.parts))
        if key in merged:
            report.duplicates.append((entry.line, merged[key][0].line))
        notes = merged.setdefault(key, (entry, []))[1]
        if entry.note and entry.note not in notes:
            notes.append(entry.note)
    return list(merged.values())


def _term(
    entry: _Entry, notes: list[str], list_id: str, spec: _Spec, category: str, taken: set[str]
) -> dict[str, Any]:
    term: dict[str, Any] = {"id": term_id("t", list_id, entry.parts, taken)}
    taken.add(term["id"])
    if len(entry.parts) == 1:
        term["text"] = entry.parts[0]
    else:
        term["all"] = list(entry.parts)
    term["category"] = category
    if notes:
        label = f"{spec.note_label}: " if spec.note_label else ""
        term["note"] = label + "; ".join(notes)
    return term


def _source(spec: _Spec, file_name: str, options: ImportOptions) -> dict[str, Any]:
    source = {
        "name": spec.publisher or file_name,
        "url": options.source_url or spec.url,
        "retrieved": options.retrieved,
        "licence": options.licence or spec.licence,
        "file": file_name,
    }
    return {key: value for key, value in source.items() if value is not None}


def import_bytes(
    fmt: Format, raw: bytes, path: str, options: ImportOptions | None = None
) -> tuple[dict[str, Any], ImportReport]:
    """Parse a source into a keyword-list dict (valid against the schema) and a report.

    ``path`` names the source in errors; its last component goes into ``source.file``.
    """
    options = options or ImportOptions()
    spec = _SPECS[fmt]
    file_name = Path(path).name
    text, encoding = decode(raw, path)
    list_id = options.list_id or _default_list_id(spec, file_name)
    licence = options.licence or spec.licence
    report = ImportReport(file_name, fmt, encoding, list_id, licence=licence)
    merged = _merge(spec.parse(text, path), report)
    if not merged:
        raise SourceError(path, 1, "no keywords found")
    taken: set[str] = set()
    category = options.category or spec.category
    terms = [_term(entry, notes, list_id, spec, category, taken) for entry, notes in merged]
    report.terms = len(terms)
    report.combinations = sum("all" in term for term in terms)
    data: dict[str, Any] = {
        "list": list_id,
        "description": f"Imported from {file_name}: {spec.describe}",
        "language": options.language,
        "source": _source(spec, file_name, options),
        "terms": terms,
    }
    if options.controls:
        data["controls"] = [
            {"id": term_id("c", list_id, (text,)), "text": text} for text in DEFAULT_CONTROLS
        ]
        report.controls = DEFAULT_CONTROLS
    _validate(data, [entry.line for entry, _ in merged], path)
    return data, report


def _validate(data: dict[str, Any], lines: list[int], path: str) -> None:
    """A term's text that the schema refuses names its source line; anything else is an option."""
    try:
        KeywordList.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error["loc"]
        message = str(error["msg"]).removeprefix("Value error, ")
        if loc[0] == "terms" and len(loc) > 2 and loc[2] in ("text", "all"):
            raise SourceError(path, lines[int(loc[1])], f"{loc[2]}: {message}") from None
        raise ValueError(f"{'.'.join(map(str, loc))}: {message}") from None


def import_file(
    fmt: Format, path: Path, options: ImportOptions | None = None
) -> tuple[dict[str, Any], ImportReport]:
    """:func:`import_bytes` on a file (``OSError`` if it cannot be read)."""
    return import_bytes(fmt, path.read_bytes(), str(path), options)
