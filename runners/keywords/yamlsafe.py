"""YAML read safely, one value at a time, with the line of every path in that value.

- Safe constructors only, and no anchors or aliases: keyword lists and profiles never need
  them, and refusing them at the first ``&`` makes a billion-laughs file an error in
  microseconds instead of minutes of expansion (docs/architecture.md, "Scale and safety").
- Characters YAML forbids (NUL and other controls) and bytes that are not UTF-8 are named at
  their own line, found by :func:`bad_character_line` once the parser has refused the file.
- Marks are turned into line numbers as values are built, so a reader can validate a huge
  sequence item by item (:class:`EventReader`) and keep nothing of an item once it is checked;
  :func:`load_marked` builds a whole (small) document the same way.

PyYAML's libyaml parser is used when PyYAML was built with it (it is, in the wheels), the
pure-Python one otherwise; both give the same events.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import yaml
from yaml.constructor import ConstructorError

__all__ = [
    "EventReader",
    "Lines",
    "MarkedYaml",
    "Problem",
    "YamlSyntaxError",
    "bad_character_line",
    "event_line",
    "line_of",
    "load_marked",
]

#: libyaml's safe loader when PyYAML was built with it (about ten times faster); both give
#: the same events and marks.
_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"
_PLAIN = (True, False)

#: A path inside one value (mapping keys and sequence indexes) -> its 1-based line.
Lines = dict[tuple[Any, ...], int]


class Readable(Protocol):
    """A binary stream, read in chunks."""

    def read(self, size: int = -1, /) -> bytes: ...


class YamlSyntaxError(ValueError):
    """The file cannot be read as a document at all (stops reading it)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong inside one value that does not stop the reading (e.g. a repeated key)."""

    path: tuple[Any, ...]
    line: int
    message: str


def event_line(event: yaml.Event) -> int:
    """1-based line where an event starts."""
    mark = event.start_mark
    return mark.line + 1 if mark is not None else 1


def line_of(lines: Lines, path: Sequence[Any], default: int = 1) -> int:
    """The line of the deepest prefix of ``path`` that ``lines`` knows."""
    for end in range(len(path), -1, -1):
        line = lines.get(tuple(path[:end]))
        if line is not None:
            return line
    return default


_BREAK = re.compile(r"\r\n|[\r\n\x85\u2028\u2029]")
# What YAML 1.1 allows in a stream: tab, line breaks, printable ASCII, NEL, and the rest of
# Unicode but surrogates and U+FFFE/U+FFFF.
_FORBIDDEN = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def bad_character_line(raw: bytes) -> tuple[int, str] | None:
    """The line and a description of the first undecodable byte or forbidden character."""
    encoding = "utf-16" if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8"
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        text = raw[: exc.start].decode(encoding, errors="replace")
        line = len(_BREAK.findall(text)) + 1
        return line, "not UTF-8 text (convert the file to UTF-8)"
    text = text.removeprefix("\ufeff")
    bad = _FORBIDDEN.search(text)
    if bad is None:
        return None
    line = len(_BREAK.findall(text, 0, bad.start())) + 1
    return (
        line,
        f"character U+{ord(bad.group()):04X} is not allowed in YAML "
        "(of the control characters only tab and line breaks are)",
    )


class EventReader:
    """The events of one YAML document, and values built from them with their lines.

    ``source`` is text or a binary stream (read in chunks, never whole). A caller walks the
    top of the document with :meth:`peek`/:meth:`next` and builds each value it wants with
    :meth:`value`. Errors that stop the reading raise :class:`YamlSyntaxError`; a stream
    the parser refuses for a character raises it with ``line=0`` (find the line with
    :func:`bad_character_line`).
    """

    def __init__(self, source: str | Readable) -> None:
        self._loader = _LOADER(source)
        self._constructors = self._loader.yaml_constructors
        self._implicit = self._loader.yaml_implicit_resolvers  # first character -> resolvers

    def close(self) -> None:
        self._loader.dispose()

    def peek(self) -> yaml.Event:
        try:
            return self._loader.peek_event()
        except yaml.YAMLError as exc:
            raise _syntax(exc) from None

    def next(self) -> yaml.Event:
        try:
            event = self._loader.get_event()
        except yaml.YAMLError as exc:
            raise _syntax(exc) from None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlSyntaxError(
                event_line(event),
                "YAML anchors and aliases (&name, *name) are not allowed here: write the value out",
            )
        return event

    def start(self) -> yaml.Event | None:
        """Enter the document: its first node's event (not consumed), or None if empty."""
        self.next()  # StreamStart
        if isinstance(self.peek(), yaml.StreamEndEvent):
            return None
        self.next()  # DocumentStart
        return self.peek()

    def finish(self) -> None:
        """Leave the document; a second document is an error."""
        self.next()  # DocumentEnd
        event = self.next()
        if not isinstance(event, yaml.StreamEndEvent):
            raise YamlSyntaxError(
                event_line(event), "expected a single document, found another one"
            )

    def key(self) -> tuple[Any, int]:
        """The next mapping key (a scalar) and its line."""
        event = self.next()
        line = event_line(event)
        if not isinstance(event, yaml.ScalarEvent):
            raise YamlSyntaxError(
                line, "a mapping key must be a plain value, not a list or mapping"
            )
        return self._scalar(event, (), []), line

    def value(self) -> tuple[Any, Lines, list[Problem]]:
        """The next node as Python data, the line of each path in it, and its problems."""
        lines: Lines = {}
        problems: list[Problem] = []
        return self._build((), lines, problems), lines, problems

    def _build(self, path: tuple[Any, ...], lines: Lines, problems: list[Problem]) -> Any:
        event: Any = self.next()
        lines[path] = event_line(event)
        kind = type(event)
        if kind is yaml.ScalarEvent:
            return self._scalar(event, path, problems)
        if kind is yaml.SequenceStartEvent:
            self._collection_tag(event, _SEQ, path, problems)
            items: list[Any] = []
            while type(self.peek()) is not yaml.SequenceEndEvent:
                items.append(self._build((*path, len(items)), lines, problems))
            self.next()
            return items
        if kind is yaml.MappingStartEvent:
            self._collection_tag(event, _MAP, path, problems)
            mapping: dict[Any, Any] = {}
            while type(self.peek()) is not yaml.MappingEndEvent:
                key, line = self.key()
                value = self._build((*path, key), lines, problems)
                if key in mapping:
                    problems.append(
                        Problem((*path, key), line, f"key {key!r} appears twice in one mapping")
                    )
                else:
                    mapping[key] = value
            self.next()
            return mapping
        raise YamlSyntaxError(lines[path], f"unexpected {kind.__name__}")

    def _scalar(
        self, event: yaml.ScalarEvent, path: tuple[Any, ...], problems: list[Problem]
    ) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            value = event.value
            if not event.implicit[0] or (value and value[0] not in self._implicit):
                return value  # quoted, or plain but no implicit type starts so: a string
            tag = self._loader.resolve(yaml.ScalarNode, value, _PLAIN)
        if tag == _STR:
            return event.value
        construct = self._constructors.get(tag)
        if construct is None:
            problems.append(Problem(path, event_line(event), f"tag {tag} is not allowed"))
            return None
        node = yaml.ScalarNode(tag, event.value, None, None, event.style)
        try:
            return construct(self._loader, node)
        except (ConstructorError, ValueError) as exc:
            problems.append(Problem(path, event_line(event), f"bad {tag} value: {exc}"))
            return None

    def _collection_tag(
        self, event: Any, default: str, path: tuple[Any, ...], problems: list[Problem]
    ) -> None:
        if event.tag not in (None, "!", default):
            problems.append(Problem(path, event_line(event), f"tag {event.tag} is not allowed"))


def _syntax(exc: yaml.YAMLError) -> YamlSyntaxError:
    if isinstance(exc, yaml.reader.ReaderError):
        return YamlSyntaxError(0, f"not valid YAML: {exc.reason}")
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark or exc.context_mark
        return YamlSyntaxError(
            mark.line + 1 if mark else 1, f"not valid YAML: {exc.problem or exc}"
        )
    return YamlSyntaxError(1, f"not valid YAML: {exc}")


@dataclass(frozen=True)
class MarkedYaml:
    """A whole document and the line of every path in it."""

    data: Any
    lines: Lines

    def line_of(self, path: Sequence[Any]) -> int:
        """1-based line of the deepest node that the path reaches."""
        return line_of(self.lines, path)


def load_marked(text: str) -> MarkedYaml:
    """Parse a small document; syntax errors, aliases and repeated keys carry their line."""
    reader = EventReader(text)
    try:
        first = reader.start()
        if first is None:
            return MarkedYaml(None, {(): 1})
        data, lines, problems = reader.value()
        reader.finish()
    except YamlSyntaxError as exc:
        if exc.line == 0:
            found = bad_character_line(text.encode("utf-8", errors="surrogatepass"))
            raise YamlSyntaxError(found[0] if found else 1, str(exc)) from None
        raise
    finally:
        reader.close()
    if problems:
        raise YamlSyntaxError(problems[0].line, problems[0].message)
    return MarkedYaml(data, lines)
