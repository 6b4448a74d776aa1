"""One placeholder style in ``--help``: click's upper-case names, never a Python type.

typer 0.29 labels values with their annotations (``<list[Path]>``, ``<str>``, ``<bool>``
after a flag). Every command of the app takes its placeholders from here instead: ``PATH``,
``TEXT``, ``INTEGER``, ``FLOAT``, ``DATETIME``, the choices as ``[a|b]``, and nothing after a
flag. A repeatable option says so in its help text.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from typer.core import TyperArgument, TyperGroup, TyperOption

__all__ = ["PlainHelpGroup", "placeholder"]

_NAMES: dict[Any, str] = {
    str: "TEXT",
    int: "INTEGER",
    float: "FLOAT",
    Path: "PATH",
    datetime: "DATETIME",
}


def placeholder(annotation: Any, choices: tuple[Any, ...] | None = None) -> str:
    """The placeholder of a value of type ``annotation`` (a list's: of one element)."""
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation) or (str,)
    if choices:
        return "[" + "|".join(str(getattr(c, "value", c)) for c in choices) + "]"
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return "[" + "|".join(str(member.value) for member in annotation) + "]"
    return _NAMES.get(annotation, "TEXT")


def _label(param: TyperArgument | TyperOption) -> str:
    if isinstance(param, TyperOption) and param.is_flag:
        return ""
    described = param.type_descriptor
    return placeholder(described.annotation, tuple(described.choices or ()) or None)


def _shown(label: str) -> Callable[..., str]:
    def display_type_rich(ctx: Any) -> str:
        return label

    return display_type_rich


def _restyle(command: Any) -> None:
    for param in command.params:
        label = _label(param)
        if isinstance(param, TyperOption):
            if param.metavar is None:
                param.metavar = label
        elif isinstance(param, TyperArgument):
            # An argument's type column ignores its metavar in typer 0.29.
            param.display_type_rich = _shown(label + ("..." if param.nargs != 1 else ""))  # type: ignore[method-assign]
    make_help_option = command.get_help_option

    def quiet_help_option(ctx: Any) -> Any:
        option = make_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option

    command.get_help_option = quiet_help_option
    for child in getattr(command, "commands", {}).values():
        _restyle(child)


class PlainHelpGroup(TyperGroup):
    """The app's group: restyles every placeholder of every command before it runs."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        _restyle(self)
        return super().main(*args, **kwargs)
