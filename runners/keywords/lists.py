"""Keyword lists: the YAML schema, validation with file/line/field errors, and loading.

Nothing runs until every list of a run is valid: :func:`load_lists` reads them all and
raises one :class:`KeywordListsInvalid` naming every problem found.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from runners.keywords.variants import VARIANTS
from runners.keywords.yamlsafe import YamlSyntaxError, load_marked

__all__ = [
    "Control",
    "KeywordError",
    "KeywordList",
    "KeywordListsInvalid",
    "LoadedList",
    "Source",
    "Term",
    "load_lists",
]

Identifier = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]


def _known_variants(names: list[str]) -> list[str]:
    unknown = [name for name in names if name not in VARIANTS]
    if unknown:
        raise ValueError(f"unknown variant {unknown[0]!r}; known: {', '.join(sorted(VARIANTS))}")
    return names


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Strict):
    name: str
    url: str | None = None
    retrieved: date | None = None
    licence: str | None = None
    file: str | None = None


class Term(_Strict):
    id: Identifier
    text: Text | None = None
    all: list[Text] | None = Field(default=None, min_length=1)
    category: Text
    tags: list[str] = []
    variants: list[str] = []
    note: str | None = None

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
    category: str = "control"
    note: str | None = None

    @property
    def parts(self) -> tuple[str, ...]:
        return (self.text,)


class KeywordList(_Strict):
    #: The list's id; ``list`` in YAML.
    id: Identifier = Field(alias="list")
    description: Text
    language: Text
    source: Source | None = None
    variants: list[str] = []
    terms: list[Term] = Field(min_length=1)
    controls: list[Control] = []

    _check_variants = field_validator("variants")(_known_variants)


@dataclass(frozen=True)
class KeywordError:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"field '{self.field}': " if self.field else ""
        return f"{self.path}:{self.line}: {where}{self.message}"


class KeywordListsInvalid(ValueError):
    def __init__(self, errors: Sequence[KeywordError]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(error) for error in self.errors))


@dataclass(frozen=True)
class LoadedList:
    """A valid list with where it came from (for the manifest)."""

    path: Path
    sha256: str
    content: KeywordList
    lines: dict[str, int]  # term/control id -> line, for later cross-list errors


def field_name(loc: Sequence[str | int]) -> str:
    name = ""
    for step in loc:
        name += f"[{step}]" if isinstance(step, int) else (f".{step}" if name else str(step))
    return name


def _load_one(path: Path) -> LoadedList | list[KeywordError]:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return [KeywordError(str(path), 0, "", f"cannot read: {exc.strerror}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return [KeywordError(str(path), line, "", "not UTF-8 text (convert the file to UTF-8)")]
    try:
        marked = load_marked(text)
    except YamlSyntaxError as exc:
        return [KeywordError(str(path), exc.line, "", str(exc))]
    if not isinstance(marked.data, dict):
        return [
            KeywordError(str(path), 1, "", "a keyword list is a mapping with `list`, `terms`, ...")
        ]
    try:
        content = KeywordList.model_validate(marked.data)
    except ValidationError as exc:
        return [_from_pydantic(path, marked.line_of, error) for error in exc.errors()]
    errors, lines = _duplicate_ids(path, content, marked.line_of)
    if errors:
        return errors
    return LoadedList(path, hashlib.sha256(raw).hexdigest(), content, lines)


def _from_pydantic(path: Path, line_of: Any, error: Any) -> KeywordError:
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
    return KeywordError(str(path), line_of(loc), field_name(loc), message)


def _duplicate_ids(
    path: Path, content: KeywordList, line_of: Any
) -> tuple[list[KeywordError], dict[str, int]]:
    errors: list[KeywordError] = []
    lines: dict[str, int] = {}
    sections: tuple[tuple[str, Sequence[Term | Control]], ...] = (
        ("terms", content.terms),
        ("controls", content.controls),
    )
    for section, entries in sections:
        for index, entry in enumerate(entries):
            line = line_of([section, index, "id"])
            if entry.id in lines:
                errors.append(
                    KeywordError(
                        str(path),
                        line,
                        f"{section}[{index}].id",
                        f"duplicate id {entry.id!r} (first at line {lines[entry.id]})",
                    )
                )
            else:
                lines[entry.id] = line
    return errors, lines


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
    errors: list[KeywordError] = []
    list_ids: dict[str, Path] = {}
    term_ids: dict[str, Path] = {}
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
        for entry_id, line in item.lines.items():
            if entry_id in term_ids and term_ids[entry_id] != item.path:
                errors.append(
                    KeywordError(
                        str(item.path),
                        line,
                        "id",
                        f"duplicate id {entry_id!r} across lists (also in {term_ids[entry_id]})",
                    )
                )
            term_ids.setdefault(entry_id, item.path)
    return errors
