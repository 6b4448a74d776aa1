"""Running measurements, as subpackages that follow the flow.

``keywords`` (lists, variants, importers) -> ``plan`` (settings, probes) -> ``execution``
(runner, prober, pacing, controls) -> snapshots (written through :mod:`snapshots.writer`);
beside them ``isolation``, ``scheduling``, ``distributed`` and ``cli``. Nothing is imported
here, so importing one subpackage never loads the others (or the HTTP stack).
"""
