"""The adapter contract kit: what every adapter must pass, built-in or third-party.

- :mod:`probes.kit.checks`: the checks as plain functions (no pytest needed);
- :mod:`probes.kit.suite`: :class:`~probes.kit.suite.AdapterContract`, the checks as a
  pytest test class to subclass;
- :mod:`probes.kit.plugin`: the pytest plugin behind ``pytest --censorprobe-adapter NAME``;
- :mod:`probes.kit.target`: which adapters, where their recordings are, foreign pages.

Nothing is imported here, so loading the plugin costs nothing when the kit is not used.
"""
