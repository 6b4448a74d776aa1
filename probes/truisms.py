"""Truisms: queries that find results for any text unless that text is filtered.

Citizen Lab's "Missing Links" (2023) tells a withheld term from a rare one this way: the term
is searched *inside* a query that is always true — the term OR a word every page has — so an
empty answer can only mean the platform filtered the query for the term it carries, provided
the truism alone (the control) still finds results. For soft censorship the truism is also
restricted to a source off the allow-list: a term whose results are limited to official
sources then finds nothing there, while the truism alone does.

Platforms spell OR differently (Baidu ``|``, Bing ``OR``), so an adapter builds its truism with
:func:`disjunction` and its platform's operator. A term that carries query syntax of its own
(parentheses, quotes, the operator itself, a ``site:``) has no reliable truism: its own
operators would change what the truism asks.
"""

from __future__ import annotations

import re

from probes.contract import Query

__all__ = ["disjunction"]

#: Brackets, quotes, ``name:`` operators and words starting with ``-`` or ``+``.
_SYNTAX = re.compile(r'[()"]|\b\w+:|(?:^|\s)[-+]\S')


def disjunction(
    query: Query | None,
    *,
    operator: str,
    common: str,
    restrict: str = "",
    max_length: int | None = None,
) -> Query | None:
    """``(<text> <operator> <common>) <restrict>``, or ``<common> <restrict>`` for None.

    ``common`` is a word nearly every indexed page has (on Chinese platforms 的) and that no
    censorship rule is made of; ``restrict`` an optional operator such as ``site:zhihu.com``.
    A text with spaces is bracketed, so that the platform's AND binds inside it. None when the
    text carries query syntax, or the truism would be longer than ``max_length``.
    """
    tail = f" {restrict}" if restrict else ""
    if query is None:
        text = f"{common}{tail}"
    else:
        term = " ".join(query.text.split())
        spelled = operator in term.split() or (not operator.isalpha() and operator in term)
        if not term or spelled or _SYNTAX.search(term):
            return None
        inner = f"({term})" if " " in term else term
        either = f"{inner} {operator} {common}"
        text = f"({either}){tail}" if restrict else either
    if max_length is not None and len(text) > max_length:
        return None
    return Query(text)
