"""Rows of plain values as CSV or a Markdown table (for diff and timeline output).

A CSV cell is text a spreadsheet may run: a platform's title or notice starting with ``=``
becomes a live formula. Cells are neutralised the way OWASP's "CSV Injection" page recommends:
a text cell that starts with one of :data:`FORMULA_LEADING` gets a leading single quote, and
every text cell is wrapped in double quotes (inner quotes doubled). Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TextIO

__all__ = ["FORMULA_LEADING", "markdown_table", "neutralise", "write_csv"]

#: First characters that make a spreadsheet read a cell as a formula (OWASP, CSV Injection):
#: equals, plus, minus, at, tab (0x09) and carriage return (0x0D).
FORMULA_LEADING = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """``text`` as a spreadsheet shows it and never evaluates it (a ``'`` before a formula)."""
    return "'" + text if text.startswith(FORMULA_LEADING) else text


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]], stream: TextIO) -> None:
    """A header line, then one line per row; ``None`` is an empty field; text cells neutralised."""
    writer = csv.writer(stream, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])


def markdown_table(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A GitHub-flavoured Markdown table; ``|`` and line breaks in cells are escaped."""

    def cell(value: Any) -> str:
        return _text(value).replace("|", "\\|").replace("\n", " ")

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"
