"""The local testbed: a real loopback HTTP server that behaves like a censoring search engine."""

from __future__ import annotations

from testbed.rules import Action, Rule, RuleBook, RulesError, load_rules
from testbed.server import (
    Fault,
    RunningTestbed,
    Testbed,
    TestbedConfig,
    parse_faults,
    serve_in_thread,
    start,
)

__all__ = [
    "Action",
    "Fault",
    "Rule",
    "RuleBook",
    "RulesError",
    "RunningTestbed",
    "Testbed",
    "TestbedConfig",
    "load_rules",
    "parse_faults",
    "serve_in_thread",
    "start",
]
