"""Scheduling: run profiles, the files that install their cadence, and the daemon."""
