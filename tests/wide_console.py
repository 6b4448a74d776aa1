"""A fixture for tests that read the CLI's rich tables: printed wide, so no cell is folded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runners.cli.display import console

__all__ = ["wide"]


@pytest.fixture
def wide() -> Iterator[None]:
    """The CLI's tables printed 200 columns wide for the test."""
    console.width = 200
    yield
    console._width = None
