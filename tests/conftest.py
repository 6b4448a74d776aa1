from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from testbed import RunningTestbed, TestbedConfig, serve_in_thread


@pytest.fixture
def start_testbed() -> Iterator[Callable[..., RunningTestbed]]:
    """Start real testbed servers on loopback; all are stopped after the test."""
    with ExitStack() as stack:

        def start(**settings: Any) -> RunningTestbed:
            return stack.enter_context(serve_in_thread(TestbedConfig(**settings)))

        yield start
