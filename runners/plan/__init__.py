"""Planning: a run's settings and the lazy plan of probes (lists x variants x platforms x vantage)."""
