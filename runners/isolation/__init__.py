"""Trigger isolation: the pure search (``search``) and its driver through real probes (``driver``)."""
