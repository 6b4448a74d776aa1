"""Distributed runs: one measurement from many vantage points, spread with Celery over Redis."""
