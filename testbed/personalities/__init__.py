"""Personalities: the platform shapes the testbed can answer in (one module each).

A personality module defines ``PERSONALITY``, an object with ``name``, ``query_of(request)``
(the search term in an aiohttp request, or None), ``render(page)``, ``captcha()`` and
``login()`` (each an aiohttp response), the ``operator`` its platform's search reads as OR
(None: none), and ``renders_as``: the kinds of page it cannot show as such, mapped to what a
reader of its pages sees instead (Bilibili shows no notice: a withheld term is an empty
answer). The testbed logs what was shown. Modules are found by scanning this package.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Mapping
from functools import cache
from typing import Protocol

from aiohttp import web

from testbed.pages import Page, PageKind

__all__ = ["Personality", "personalities", "get_personality"]


class Personality(Protocol):
    name: str
    operator: str | None
    renders_as: Mapping[PageKind, PageKind]

    def query_of(self, request: web.Request) -> str | None: ...

    def render(self, page: Page) -> web.Response: ...

    def captcha(self) -> web.Response: ...

    def login(self) -> web.Response: ...


@cache
def personalities() -> dict[str, Personality]:
    found: dict[str, Personality] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        personality = getattr(module, "PERSONALITY", None)
        if personality is not None:
            found[personality.name] = personality
    return found


def get_personality(name: str) -> Personality:
    try:
        return personalities()[name]
    except KeyError:
        known = ", ".join(sorted(personalities()))
        raise KeyError(f"no testbed personality {name!r}; known: {known}") from None
