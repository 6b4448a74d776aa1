"""The contract kit's pytest plugin (entry point ``pytest11: censorprobe``).

``pytest --censorprobe-adapter NAME`` runs the kit over the adapter NAME (a registered name,
or a module whose adapters are taken; repeat the option for more), reading recordings under
``--censorprobe-fixtures`` (default: ``tests/fixtures`` under pytest's rootdir). With no
paths on the command line only the kit runs; with paths, the kit runs besides them. Without
the option the plugin does nothing, and this module imports nothing beyond pytest, so any
pytest run where censorprobe is installed is unaffected.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from probes.kit.target import KitTarget

__all__ = ["TARGET", "pytest_addoption", "pytest_configure"]

#: Where :func:`pytest_configure` leaves the :class:`~probes.kit.target.KitTarget`.
TARGET: pytest.StashKey[KitTarget] = pytest.StashKey()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("censorprobe", "censorprobe adapter contract kit")
    group.addoption(
        "--censorprobe-adapter",
        action="append",
        default=[],
        metavar="NAME",
        help="run the adapter contract kit over NAME: a registered adapter or a module "
        "holding adapters (repeatable)",
    )
    group.addoption(
        "--censorprobe-fixtures",
        metavar="DIR",
        help="the fixture root given to each adapter's fixture_dir() "
        "(default: tests/fixtures under the rootdir)",
    )


def pytest_configure(config: pytest.Config) -> None:
    names: list[str] = config.getoption("censorprobe_adapter")
    if not names:
        return
    try:
        from probes.kit import selected
        from probes.kit.target import KitTarget, TargetError, adapters_named
    except ModuleNotFoundError as exc:
        raise pytest.UsageError(
            f"--censorprobe-adapter: the contract kit needs {exc.name} (pip install {exc.name})"
        ) from None
    given = config.getoption("censorprobe_fixtures")
    root = config.invocation_params.dir / given if given else config.rootpath / "tests/fixtures"
    try:
        config.stash[TARGET] = KitTarget(adapters_named(names), root.resolve())
    except TargetError as exc:
        raise pytest.UsageError(f"--censorprobe-adapter: {exc}") from None
    module = str(Path(selected.__file__).resolve())
    if config.args_source is not pytest.Config.ArgsSource.ARGS:
        config.args[:] = [module]  # no paths given: the kit alone, not the testpaths too
    elif module not in config.args:
        config.args.append(module)
