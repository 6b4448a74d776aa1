"""The built-in platforms: one module each, found by :mod:`probes.registry` scanning this package.

Every module here defines at least one concrete :class:`~probes.contract.Adapter`; shared
machinery lives one level up (``probes.jsonapi``, ``probes.contract``).
"""
