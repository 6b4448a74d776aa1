"""An example third-party censorprobe adapter, registered through an entry point."""

from __future__ import annotations

from censorprobe_example.adapter import ExampleSearchAdapter

__all__ = ["ExampleSearchAdapter"]
