"""Execution: the runner, the prober (all HTTP), pacing, controls and the observation line."""
