"""The test module :mod:`probes.kit.plugin` adds to the run: the kit over the adapters named
by ``--censorprobe-adapter``."""

from __future__ import annotations

import pytest

from probes.kit.plugin import TARGET
from probes.kit.suite import AdapterContract
from probes.kit.target import KitTarget

__all__ = ["TestAdapterContract"]


class TestAdapterContract(AdapterContract):
    def kit_target(self, config: pytest.Config) -> KitTarget:
        return config.stash[TARGET]
