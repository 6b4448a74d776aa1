"""Importers: published keyword lists (Citizen Lab, China Digital Times, plain lines) as lists.

Pure: bytes in, a :class:`~runners.keywords.lists.KeywordList`-shaped dict and an
:class:`ImportReport` out; writing the YAML is the caller's business. Term ids are read from
the term itself (its pinyin, e.g. ``kangyi.xijinping`` for 习近平 + 抗议); terms whose ids
would be the same get a short hash of their text after it, so importing the same file again,
in any order, gives the same ids (ids are unique within a list; keys carry the list id).

What each format reads (also in keywords/README.md):

- ``citizenlab-rules``: one rule a line, `` + `` (a plus with spaces) joins the parts that
  must all appear; blank lines and ``#`` comments skipped; a plus without spaces is taken
  literally (``C++``) and warned about.
- ``citizenlab-people``: CSV with an ``Isolation`` column (a rule, as above) and an optional
  ``Sample`` column (kept as the note).
- ``cdt``: CSV with a ``keyword`` column (the full-width ``＋`` joins parts), an optional date
  column (``first_seen`` or ``date``: kept as the term's ``first_seen``), any other column
  kept in the note.
- ``lines``: one term a line, nothing split; blank lines and ``#`` comments skipped.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from runners.keywords.lists import KeywordList
from runners.keywords.variants import syllables

__all__ = [
    "DEFAULT_CONTROLS",
    "Format",
    "ImportOptions",
    "ImportReport",
    "SourceError",
    "decode",
    "import_bytes",
    "import_file",
    "term_ids",
]

DEFAULT_CONTROLS = ("天气", "牛肉面", "足球")
"""Benign terms (weather, beef noodles, football) every platform should show results for."""

_TIE_DIGITS = 4
_SLUG_LENGTH = 60
_RULE_JOIN = re.compile(r"(?<!\S)\+(?!\S)")  # `a + b`: a plus with space (or an end) both sides
_GLUED_PLUS = re.compile(r"\S\+|\+\S")  # a plus touching a word: `C++`, `习近平+抗议`
_CDT_JOIN = re.compile("＋")  # full-width plus: 昆明＋PX
_CDT_DATES = ("first_seen", "date")
_DATE = re.compile(r"^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?$")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
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
    warnings: list[tuple[int, str]] = field(default_factory=list)  # (line, what)
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
        if self.warnings:
            lines.append(f"{len(self.warnings)} warnings:")
            lines += [f"  line {line}: {what}" for line, what in self.warnings[:10]]
            if len(self.warnings) > 10:
                lines.append(f"  ... and {len(self.warnings) - 10} more")
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
    first_seen: date | None = None


#: A format's reader: text, path (for errors), and a place for warnings (line, what).
_Parser = Callable[[str, str, list[tuple[int, str]]], Iterator[_Entry]]


@dataclass(frozen=True)
class _Spec:
    parse: _Parser
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


def _rule(value: str, path: str, line: int, warnings: list[tuple[int, str]]) -> tuple[str, ...]:
    """A Citizen Lab rule: `` + `` joins parts; a plus touching a word is warned about."""
    parts = _split(value, _RULE_JOIN, path, line)
    glued = [part for part in parts if _GLUED_PLUS.search(part)]
    if glued:
        warnings.append(
            (
                line,
                f"{glued[0]!r} has a + without spaces: taken as one literal "
                "(write `a + b` for a combination)",
            )
        )
    return parts


def _rules(text: str, path: str, warnings: list[tuple[int, str]]) -> Iterator[_Entry]:
    for number, line in _numbered(text):
        if line.strip() and not line.lstrip().startswith("#"):
            yield _Entry(number, _rule(line, path, number, warnings))


def _lines(text: str, path: str, warnings: list[tuple[int, str]]) -> Iterator[_Entry]:
    for number, line in _numbered(text):
        term = line.strip()
        if term and not term.startswith("#"):
            yield _Entry(number, (term,))


def _csv_rows(text: str, path: str, required: str) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows as {lower-cased header: stripped value}, with the line each row starts on."""
    reader = csv.reader(io.StringIO(text, newline=""))
    end = 0
    try:
        header = [name.strip().lower() for name in next(reader, [])]
        if required not in header:
            raise SourceError(path, 1, f"expected a CSV header with a `{required}` column")
        end = reader.line_num
        for row in reader:
            start, end = end + 1, reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise SourceError(
                    path, start, f"{len(row)} fields where the header has {len(header)}"
                )
            yield start, {name: cell.strip() for name, cell in zip(header, row, strict=True)}
    except csv.Error as exc:
        limit = csv.field_size_limit()
        problem = f"a field longer than {limit:,} characters" if "limit" in str(exc) else exc
        raise SourceError(path, end + 1, f"not readable as CSV: {problem}") from None


def _people(text: str, path: str, warnings: list[tuple[int, str]]) -> Iterator[_Entry]:
    for line, row in _csv_rows(text, path, "isolation"):
        yield _Entry(line, _rule(row["isolation"], path, line, warnings), row.get("sample"))


def _date(value: str, column: str, path: str, line: int) -> date:
    match = _DATE.match(value)
    try:
        if match is None:
            raise ValueError(value)
        return date(*(int(group) for group in match.groups()))
    except ValueError:
        raise SourceError(path, line, f"{column}: {value!r} is not a date (YYYY-MM-DD)") from None


def _cdt(text: str, path: str, warnings: list[tuple[int, str]]) -> Iterator[_Entry]:
    """The `keyword` column; a date column is ``first_seen``; any other filled-in column
    (a translation) is the note."""
    for line, row in _csv_rows(text, path, "keyword"):
        keyword = row["keyword"]
        if "+" in keyword:
            warnings.append(
                (line, f"{keyword!r}: an ASCII + is taken literally (cdt combines with ＋)")
            )
        column = next((name for name in _CDT_DATES if row.get(name)), None)
        seen = _date(row[column], column, path, line) if column else None
        others = [
            f"{name}: {value}"
            for name, value in row.items()
            if value and name != "keyword" and name not in _CDT_DATES
        ]
        parts = _split(keyword, _CDT_JOIN, path, line)
        yield _Entry(line, parts, ", ".join(others) or None, seen)


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
    for bom, encoding, name in (
        (codecs.BOM_UTF8, "utf-8", "UTF-8 with BOM"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
    ):
        if raw.startswith(bom):
            return _strict(raw, len(bom), encoding, path), name
    try:
        return raw.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        loose = raw.decode("utf-8", errors="replace")
        bad = loose.count("\ufffd")
        if sum(ord(ch) > 0x7F for ch in loose) - bad > bad:
            _strict(raw, 0, "utf-8", path)  # raises, naming the line
    return _strict(raw, 0, "gb18030", path), "GB18030"


def _strict(raw: bytes, skip: int, encoding: str, path: str) -> str:
    """``raw[skip:]`` decoded; an undecodable byte is named with its line (CR, LF or CRLF)."""
    try:
        return raw[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        at = skip + exc.start
        before = raw[skip:at].decode(encoding, errors="replace")
        line = len(_LINE_BREAK.findall(before)) + 1
        name = encoding.removesuffix("-le").removesuffix("-be").upper()
        raise SourceError(
            path, line, f"cannot read as {name} (byte 0x{raw[at]:02x}); save it as UTF-8"
        ) from None


def _id_slug(parts: Iterable[str]) -> str:
    """An id from a term's parts in pinyin, in alphabetical order (so that it does not depend
    on the order of the parts): 习近平 + 抗议 -> kangyi.xijinping ("" if nothing to spell)."""
    slugs = set()
    for part in parts:
        words = syllables(unicodedata.normalize("NFKC", part))
        slugs.add(re.sub(r"[^a-z0-9]+", "-", "".join(words).lower()).strip("-"))
    return ".".join(sorted(slugs - {""}))[:_SLUG_LENGTH].rstrip("-.")


def _digest(parts: Iterable[str]) -> str:
    return hashlib.sha256("\n".join(sorted(parts)).encode()).hexdigest()


def term_ids(terms: Iterable[tuple[str, ...]], prefix: str = "") -> list[str]:
    """Readable, stable ids for terms (each given by its parts), in the order given.

    The id is the pinyin of the parts (:func:`_id_slug`); terms that would share one (六四
    and ６４ are both ``64``), and terms with nothing to spell, get ``-`` and the first
    digits of a hash of their text after it, as many as tell them apart. The result
    depends on the set of terms only, never on their order.
    """
    terms = list(terms)
    names = [prefix + _id_slug(parts) for parts in terms]
    groups: dict[str, list[int]] = defaultdict(list)
    for index, name in enumerate(names):
        groups[name].append(index)
    taken = {name for name, members in groups.items() if len(members) == 1 and name != prefix}
    for name, members in sorted(groups.items()):
        if len(members) == 1 and name != prefix:
            continue
        base = name or "t"
        digests = {index: _digest(terms[index]) for index in members}
        digits = _TIE_DIGITS
        while True:
            tied = {index: f"{base}-{digests[index][:digits]}" for index in members}
            if len(set(tied.values())) == len(members) and not taken & set(tied.values()):
                break
            digits += 1
        for index, tied_name in tied.items():
            names[index] = tied_name
        taken |= set(tied.values())
    return names


def _slug(stem: str) -> str:
    """An id from a file name; Chinese names go through pinyin (政治类型 -> zheng-zhi-lei-xing)."""
    text = "-".join(syllables(stem)).lower()
    return re.sub(r"[^a-z0-9._]+", "-", text).strip("-._")


def _default_list_id(spec: _Spec, file_name: str) -> str:
    slug = _slug(Path(file_name).stem) or "imported"
    return (f"{spec.prefix}-{slug}" if spec.prefix else slug)[:80].rstrip("-._")


@dataclass
class _Merged:
    entry: _Entry
    notes: list[str] = field(default_factory=list)
    first_seen: date | None = None


def _merge(entries: Iterator[_Entry], report: ImportReport) -> list[_Merged]:
    """One entry per set of parts (in any order), with every note and the earliest date;
    repeats are counted."""
    merged: dict[tuple[str, ...], _Merged] = {}
    for entry in entries:
        report.entries += 1
        key = tuple(sorted(entry.parts))
        if key in merged:
            report.duplicates.append((entry.line, merged[key].entry.line))
        into = merged.setdefault(key, _Merged(entry))
        if entry.note and entry.note not in into.notes:
            into.notes.append(entry.note)
        if entry.first_seen and (into.first_seen is None or entry.first_seen < into.first_seen):
            into.first_seen = entry.first_seen
    return list(merged.values())


def _term(merged: _Merged, term_id: str, spec: _Spec, category: str) -> dict[str, Any]:
    entry, notes = merged.entry, merged.notes
    term: dict[str, Any] = {"id": term_id}
    if len(entry.parts) == 1:
        term["text"] = entry.parts[0]
    else:
        term["all"] = list(entry.parts)
    term["category"] = category
    if notes:
        label = f"{spec.note_label}: " if spec.note_label else ""
        term["note"] = label + "; ".join(notes)
    if merged.first_seen:
        term["first_seen"] = merged.first_seen
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
    merged = _merge(spec.parse(text, path, report.warnings), report)
    if not merged:
        raise SourceError(path, 1, "no keywords found")
    category = options.category or spec.category
    ids = term_ids(item.entry.parts for item in merged)
    terms = [_term(item, ids[n], spec, category) for n, item in enumerate(merged)]
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
        control_ids = term_ids([(text,) for text in DEFAULT_CONTROLS], prefix="control-")
        data["controls"] = [
            {"id": control_id, "text": text}
            for control_id, text in zip(control_ids, DEFAULT_CONTROLS, strict=True)
        ]
        report.controls = DEFAULT_CONTROLS
    _validate(data, [item.entry.line for item in merged], path)
    return data, report


def _validate(data: dict[str, Any], lines: list[int], path: str) -> None:
    """What the schema refuses in a term's text or note names its source line; anything
    else is an option."""
    try:
        KeywordList.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = error["loc"]
        message = str(error["msg"]).removeprefix("Value error, ")
        if loc[0] == "terms" and len(loc) > 2 and loc[2] in ("text", "all", "note"):
            raise SourceError(path, lines[int(loc[1])], f"{loc[2]}: {message}") from None
        raise ValueError(f"{'.'.join(map(str, loc))}: {message}") from None


def import_file(
    fmt: Format, path: Path, options: ImportOptions | None = None
) -> tuple[dict[str, Any], ImportReport]:
    """:func:`import_bytes` on a file (``OSError`` if it cannot be read)."""
    return import_bytes(fmt, path.read_bytes(), str(path), options)
