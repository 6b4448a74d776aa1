"""Platform adapters: the adapter contract, verdicts, fingerprints, the registry, one module per platform."""

from __future__ import annotations

from probes.contract import Adapter, AdapterConfigError, Case, Pacing, Query, ResultPage, domain_of
from probes.outcome import SILENT_SIGNALS, Confidence, ErrorKind, Item, Outcome, Signal, Verdict
from probes.registry import ENTRY_POINT_GROUP, UnknownAdapterError, adapters, get_adapter

__all__ = [
    "ENTRY_POINT_GROUP",
    "SILENT_SIGNALS",
    "Adapter",
    "AdapterConfigError",
    "Case",
    "Confidence",
    "ErrorKind",
    "Item",
    "Outcome",
    "Pacing",
    "Query",
    "ResultPage",
    "Signal",
    "UnknownAdapterError",
    "Verdict",
    "adapters",
    "domain_of",
    "get_adapter",
]
