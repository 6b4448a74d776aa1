"""Finding adapters: built-ins by module scan of ``probes.platforms``, third-party ones by entry point.

A third-party package declares, in its ``pyproject.toml``::

    [project.entry-points."censorprobe.adapters"]
    myplatform = "my_package.myplatform:MyPlatformAdapter"
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from functools import cache
from importlib.metadata import entry_points

from probes.contract import Adapter

__all__ = ["ENTRY_POINT_GROUP", "UnknownAdapterError", "adapters", "get_adapter"]

ENTRY_POINT_GROUP = "censorprobe.adapters"


class UnknownAdapterError(KeyError):
    def __str__(self) -> str:
        return f"no adapter named {self.args[0]!r}; known: {', '.join(sorted(adapters()))}"


def _builtin_classes() -> list[type[Adapter]]:
    from probes import platforms

    found: list[type[Adapter]] = []
    for module_info in pkgutil.iter_modules(platforms.__path__):
        module = importlib.import_module(f"{platforms.__name__}.{module_info.name}")
        found.extend(
            cls
            for _, cls in inspect.getmembers(module, inspect.isclass)
            if issubclass(cls, Adapter)
            and cls.__module__ == module.__name__
            and "name" in vars(cls)
        )
    return found


def _entry_point_classes() -> list[type[Adapter]]:
    found: list[type[Adapter]] = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        cls = entry.load()
        if not (inspect.isclass(cls) and issubclass(cls, Adapter)):
            raise TypeError(f"entry point {entry.name!r} ({entry.value}) is not an Adapter class")
        found.append(cls)
    return found


@cache
def adapters() -> dict[str, type[Adapter]]:
    """Every known adapter by name. Two adapters with one name is an error, not a shadowing."""
    registry: dict[str, type[Adapter]] = {}
    for cls in [*_builtin_classes(), *_entry_point_classes()]:
        if cls.name in registry and registry[cls.name] is not cls:
            other = registry[cls.name]
            raise ValueError(
                f"adapter name {cls.name!r} used twice: {other.__module__}.{other.__qualname__} "
                f"and {cls.__module__}.{cls.__qualname__}"
            )
        registry[cls.name] = cls
    return registry


def get_adapter(name: str) -> type[Adapter]:
    try:
        return adapters()[name]
    except KeyError:
        raise UnknownAdapterError(name) from None
