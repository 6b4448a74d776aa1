"""What the contract kit tests: which adapters, where their recordings are, and which pages
come from no adapter's platform.

``--censorprobe-adapter`` names an adapter the registry knows (``sogou``, an installed
plugin's ``example_search``) or an importable module whose adapters are taken (``mypkg``,
``mypkg.adapter``), so a package can run the kit before it registers an entry point.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from probes.contract import Adapter, Case
from probes.kit.checks import fixture_files
from probes.outcome import Verdict
from probes.registry import adapters

__all__ = ["FOREIGN", "KitTarget", "TargetError", "adapters_named"]

#: Pages written for the kit from no adapter's platform (a Google-like page, a search API).
FOREIGN = Path(__file__).resolve().parent / "foreign"


class TargetError(ValueError):
    """A name given to the kit is neither an adapter nor a module holding adapters."""


@dataclass(frozen=True, slots=True)
class KitTarget:
    """The adapters under test and the fixture root their ``fixture_dir`` is given."""

    adapters: tuple[type[Adapter], ...]
    fixtures: Path

    def folder(self, adapter_cls: type[Adapter]) -> Path:
        return adapter_cls.fixture_dir(self.fixtures)

    def foreign_pages(self, adapter_cls: type[Adapter]) -> list[tuple[Path, Case]]:
        """Pages another site would send: the kit's own, and the visible pages of every other
        adapter (registered or under test) whose recordings are at hand."""
        own = self.folder(adapter_cls).resolve()
        return [(path, case) for path, case in _visible_pages(self) if not path.is_relative_to(own)]


@cache
def _visible_pages(target: KitTarget) -> list[tuple[Path, Case]]:
    pages = {path.resolve(): Case(path.name, Verdict.VISIBLE) for path in fixture_files(FOREIGN)}
    for cls in sorted({*adapters().values(), *target.adapters}, key=_sort_key):
        folder = target.folder(cls)
        for case in cls.cases:
            path = (folder / case.fixture).resolve()
            if case.expect is Verdict.VISIBLE and path.is_file():
                pages.setdefault(path, case)
    return sorted(pages.items())


def _sort_key(cls: type[Adapter]) -> tuple[str, str]:
    return cls.name, f"{cls.__module__}.{cls.__qualname__}"


def adapters_named(names: Iterable[str]) -> tuple[type[Adapter], ...]:
    """The adapters each name stands for, in the order named, each once."""
    found: dict[type[Adapter], None] = {}
    for name in names:
        found.update(dict.fromkeys(_adapters_of(name)))
    return tuple(found)


def _adapters_of(name: str) -> list[type[Adapter]]:
    registered = adapters()
    if name in registered:
        return [registered[name]]
    try:
        module = importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is None or not (name == exc.name or name.startswith(f"{exc.name}.")):
            raise  # the module is there but one of its own imports is missing
        raise TargetError(
            f"{name!r} is neither a known adapter ({', '.join(sorted(registered))}) "
            "nor an importable module"
        ) from None
    found = [
        cls
        for cls in vars(module).values()
        if inspect.isclass(cls)
        and issubclass(cls, Adapter)
        and "name" in vars(cls)
        and (cls.__module__ == module.__name__ or cls.__module__.startswith(f"{module.__name__}."))
    ]
    if not found:
        raise TargetError(f"module {name!r} defines no adapter (a subclass of probes.Adapter)")
    return sorted(found, key=lambda cls: cls.name)
