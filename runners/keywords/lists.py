"""Keyword lists: the YAML schema, validation with file/line/field errors, and loading.

Nothing runs until every list of a run is valid: :func:`load_lists` reads them all and
raises one :class:`KeywordListsInvalid` naming every problem found (up to
:data:`MAX_ERRORS` a file).

A list is read in one streaming pass (docs/architecture.md, "Scale and safety"): each term is
built from the parser's events with the line of each of its fields, validated, and put in a
:class:`~runners.keywords.spool.Spool` on disk; ids are checked for repeats in a
:class:`~snapshots.keyset.KeySet`. Memory does not grow with the number of terms, and the
plan streams the terms back from the spool.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Annotated, Any

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from runners.keywords.spool import Spool
from runners.keywords.variants import VARIANTS
from runners.keywords.yamlsafe import (
    EventReader,
    Lines,
    Problem,
    YamlSyntaxError,
    bad_character_line,
    event_line,
    line_of,
)
from snapshots.keyset import KeySet

__all__ = [
    "MAX_ERRORS",
    "Control",
    "KeywordError",
    "KeywordList",
    "KeywordListsInvalid",
    "ListContent",
    "ListHeader",
    "LoadedList",
    "Source",
    "Term",
    "field_name",
    "load_lists",
    "printable",
]

MAX_ERRORS = 100
"""Problems reported per file; past that the count of the rest is said."""

_QUERY_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f]")  # C0 and C1 but tab
_PROSE_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # also line feed allowed


def _no_control(pattern: re.Pattern[str], allowed: str) -> AfterValidator:
    def check(value: str) -> str:
        bad = pattern.search(value)
        if bad:
            raise ValueError(
                f"control character U+{ord(bad.group()):04X} at position {bad.start() + 1} "
                f"(only {allowed} allowed)"
            )
        return value

    return AfterValidator(check)


Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")]
#: What is sent as (part of) a query, and labels: no control character but tab.
Text = Annotated[
    str, StringConstraints(min_length=1, max_length=2000), _no_control(_QUERY_CONTROL, "tab")
]
#: Free text (descriptions, notes): line feeds too.
Prose = Annotated[str, _no_control(_PROSE_CONTROL, "tab and line feed")]

_TERMINAL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff]")


def printable(text: str) -> str:
    """``text`` safe to print on a terminal: control and invisible format characters escaped."""
    return _TERMINAL.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def _known_variants(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r}; known: {', '.join(sorted(VARIANTS))}")
    return names


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    name: Prose
    url: str | None = None
    retrieved: date | None = None
    licence: Prose | None = None
    file: Prose | None = None


class Term(_Strict):
    id: Identifier
    text: Text | None = None
    all: list[Text] | None = Field(default=None, min_length=1)
    category: Text
    tags: list[Text] = []
    variants: list[str] = []
    note: Prose | None = None
    #: When the source first saw the term censored (China Digital Times dates its entries).
    first_seen: date | None = None

    _check_variants = field_validator("variants")(_known_variants)

    @model_validator(mode="after")
    def _text_or_all(self) -> Term:
        if (self.text is None) == (self.all is None):
            raise ValueError(
                "a term has exactly one of `text` (one keyword) or `all` (a combination)"
            )
        return self

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.text,) if self.text is not None else tuple(self.all or ())


class Control(_Strict):
    id: Identifier
    text: Text
    category: Text = "control"
    note: Prose | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.text,)


class ListHeader(_Strict):
    """Everything of a list but its terms and controls."""

    #: The list's id; ``list`` in YAML.
    id: Identifier = Field(alias="list")
    description: Prose = Field(min_length=1, max_length=2000)
    language: Text
    source: Source | None = None
    variants: list[str] = []

    _check_variants = field_validator("variants")(_known_variants)


class KeywordList(ListHeader):
    """A whole list as one model (importers check what they write against it)."""

    terms: list[Term] = Field(min_length=1)
    controls: list[Control] = []


@dataclass(frozen=True)
class ListContent:
    """A valid list: its header, its controls, and its terms streamed from disk."""

    header: ListHeader
    terms: Spool[Term]
    controls: list[Control]
    control_lines: list[int]

    @property
    def id(self) -> str:
        return self.header.id

    @property
    def description(self) -> str:
        return self.header.description

    @property
    def language(self) -> str:
        return self.header.language

    @property
    def source(self) -> Source | None:
        return self.header.source

    @property
    def variants(self) -> list[str]:
        return self.header.variants

    def entries(self) -> Iterator[tuple[str, int, int, Term | Control]]:
        """(section, index, line of its id, entry) of every term, then every control."""
        for index, line, term in self.terms.entries():
            yield "terms", index, line, term
        for index, control in enumerate(self.controls):
            yield "controls", index, self.control_lines[index], control


@dataclass(frozen=True)
class KeywordError:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"field '{self.field}': " if self.field else ""
        return printable(f"{self.path}:{self.line}: {where}{self.message}")


class KeywordListsInvalid(ValueError):
    def __init__(self, errors: Sequence[KeywordError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class LoadedList:
    """A valid list with where it came from (for the manifest)."""

    path: Path
    sha256: str
    content: ListContent


def field_name(loc: Sequence[str | int]) -> str:
    name = ""
    for step in loc:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else str(step))
    return name


class _Hashing:
    """A binary stream that hashes what is read from it."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.name = getattr(stream, "name", "<file>")
        self.sha256 = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.sha256.update(chunk)
        return chunk

    def drain(self) -> str:
        while self.read(1 << 16):
            pass
        return self.sha256.hexdigest()


@dataclass
class _Errors:
    path: str
    found: list[KeywordError] = field(default_factory=list)
    more: int = 0

    def add(self, line: int, loc: Sequence[Any], message: str) -> None:
        if len(self.found) < MAX_ERRORS:
            self.found.append(KeywordError(self.path, line, field_name(loc), message))
        else:
            self.more += 1

    def problems(self, prefix: tuple[Any, ...], problems: list[Problem]) -> None:
        for problem in problems:
            self.add(problem.line, (*prefix, *problem.path), problem.message)

    def pydantic(
        self, prefix: tuple[Any, ...], lines: Lines, default: int, exc: ValidationError
    ) -> None:
        for error in exc.errors():
            loc = [
                step
                for step in error["loc"]
                if not (isinstance(step, str) and step.startswith("function-"))
            ]
            message = error["msg"].removeprefix("Value error, ")
            if error["type"] == "missing":
                message = "required field is missing"
            elif error["type"] == "extra_forbidden":
                message = "unknown field (check the spelling; see keywords/README.md)"
            self.add(line_of(lines, loc, default), (*prefix, *loc), message)

    def all(self) -> list[KeywordError]:
        if self.more:
            last = self.found[-1]
            return [
                *self.found,
                KeywordError(self.path, last.line, "", f"... and {self.more} more problems"),
            ]
        return self.found


class _ListReader:
    """One streaming pass over one list file."""

    def __init__(self, path: Path, stream: _Hashing) -> None:
        self.path = path
        self.stream = stream
        self.errors = _Errors(str(path))
        self.reader = EventReader(stream)
        self.ids = KeySet()
        self.repeated: list[tuple[str, int, str, int]] = []  # section, index, id, line
        self.terms: Spool[Term] = Spool()
        self.controls: list[Control] = []
        self.control_lines: list[int] = []

    def read(self) -> LoadedList | None:
        first = self.reader.start()
        if not isinstance(first, yaml.MappingStartEvent):
            line = event_line(first) if first is not None else 1
            self.errors.add(line, (), "a keyword list is a mapping with `list`, `terms`, ...")
            return None
        self.reader.next()
        header: dict[Any, Any] = {}
        header_lines: Lines = {(): 1}
        keys: set[Any] = set()
        while not isinstance(self.reader.peek(), yaml.MappingEndEvent):
            key, line = self.reader.key()
            if key in keys:
                self.errors.add(line, (), f"key {key!r} appears twice in one mapping")
            keys.add(key)
            if key in ("terms", "controls"):
                self._section(key, line)
                continue
            value, lines, problems = self.reader.value()
            self.errors.problems((key,), problems)
            header[key] = value
            header_lines.update({(key, *path): at for path, at in lines.items()})
        self.reader.next()
        self.reader.finish()
        if "terms" not in keys:
            self.errors.add(1, ("terms",), "required field is missing")
        content = self._header(header, header_lines)
        self._repeated_ids()
        if self.errors.found or content is None:
            return None
        return LoadedList(self.path, self.stream.drain(), self.content_of(content))

    def _header(self, header: dict[Any, Any], lines: Lines) -> ListHeader | None:
        try:
            return ListHeader.model_validate(header)
        except ValidationError as exc:
            self.errors.pydantic((), lines, 1, exc)
            return None

    def _section(self, section: str, line: int) -> None:
        """Every item of ``terms`` or ``controls``, validated one by one."""
        start = self.reader.peek()
        if not isinstance(start, yaml.SequenceStartEvent):
            self.reader.value()
            self.errors.add(line, (section,), f"`{section}` is a list of entries (`- id: ...`)")
            return
        self.reader.next()
        model: type[Term | Control] = Term if section == "terms" else Control
        index = 0
        while not isinstance(self.reader.peek(), yaml.SequenceEndEvent):
            data, lines, problems = self.reader.value()
            prefix = (section, index)
            at = line_of(lines, ("id",), lines[()])
            self.errors.problems(prefix, problems)
            try:
                entry = model.model_validate(data)
            except ValidationError as exc:
                self.errors.pydantic(prefix, lines, lines[()], exc)
            else:
                self._keep(section, index, at, entry)
            index += 1
        self.reader.next()
        if section == "terms" and index == 0:
            self.errors.add(line, (section,), "a list needs at least one term")

    def _keep(self, section: str, index: int, line: int, entry: Term | Control) -> None:
        if not self.ids.claim(entry.id):
            if len(self.repeated) < MAX_ERRORS:
                self.repeated.append((section, index, entry.id, line))
            else:
                self.errors.more += 1
        if isinstance(entry, Term):
            self.terms.append(line, entry)
        else:
            self.controls.append(entry)
            self.control_lines.append(line)

    def _repeated_ids(self) -> None:
        """Name each repeated id with the line of its first use (a second pass over the spool)."""
        if not self.repeated:
            return
        wanted = {entry_id for _, _, entry_id, _ in self.repeated}
        first: dict[str, int] = {}
        for _, _, line, entry in self.content_of(ListHeader.model_construct()).entries():
            if entry.id in wanted:
                first.setdefault(entry.id, line)
        for section, index, entry_id, line in self.repeated:
            if first.get(entry_id, line) != line:
                self.errors.add(
                    line,
                    (section, index, "id"),
                    f"duplicate id {entry_id!r} (first at line {first[entry_id]})",
                )

    def content_of(self, header: ListHeader) -> ListContent:
        return ListContent(header, self.terms, self.controls, self.control_lines)


def _load_one(path: Path) -> LoadedList | list[KeywordError]:
    try:
        stream = path.open("rb")
    except OSError as exc:
        return [KeywordError(str(path), 0, "", f"cannot read: {exc.strerror}")]
    with stream:
        reader = _ListReader(path, _Hashing(stream))
        try:
            loaded = reader.read()
        except YamlSyntaxError as exc:
            line, message = exc.line, str(exc)
            if line == 0:
                line, message = bad_character_line(path.read_bytes()) or (1, message)
            reader.errors.add(line, (), message)
            loaded = None
        finally:
            reader.reader.close()
    return loaded if loaded is not None else reader.errors.all()


def load_lists(paths: Sequence[Path | str]) -> list[LoadedList]:
    """Load and validate every list; raise one error listing every problem in every file."""
    errors: list[KeywordError] = []
    loaded: list[LoadedList] = []
    for path in map(Path, paths):
        result = _load_one(path)
        if isinstance(result, list):
            errors.extend(result)
        else:
            loaded.append(result)
    errors.extend(_cross_list_errors(loaded))
    if errors:
        raise KeywordListsInvalid(errors)
    return loaded


def _cross_list_errors(loaded: Sequence[LoadedList]) -> list[KeywordError]:
    """Two lists of one run with one id: their probe keys (list/term/...) would collide."""
    errors: list[KeywordError] = []
    list_ids: dict[str, Path] = {}
    for item in loaded:
        list_id = item.content.id
        if list_id in list_ids:
            errors.append(
                KeywordError(
                    str(item.path),
                    1,
                    "list",
                    f"list id {list_id!r} also used by {list_ids[list_id]}",
                )
            )
        list_ids.setdefault(list_id, item.path)
    return errors
