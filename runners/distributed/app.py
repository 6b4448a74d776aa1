"""The Celery application: broker and result backend from ``CENSORPROBE_BROKER``.

Messages are acknowledged only once a batch has finished (``task_acks_late``), and a batch
whose worker died is put back (``task_reject_on_worker_lost``; for a worker killed outright,
Redis re-delivers unacknowledged messages after ``CENSORPROBE_VISIBILITY_TIMEOUT`` seconds).
A batch may therefore run twice; the coordinator keeps the first observation per key.
"""

from __future__ import annotations

import os

from celery import Celery

__all__ = ["DEFAULT_BROKER", "app", "broker_url", "queue_of"]

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"


def broker_url() -> str:
    return os.environ.get("CENSORPROBE_BROKER", DEFAULT_BROKER)


def queue_of(vantage: str) -> str:
    """The queue a vantage point's workers consume."""
    return f"vantage.{vantage}"


def _make_app() -> Celery:
    url = broker_url()
    celery = Celery("censorprobe", broker=url, backend=url, include=["runners.distributed.tasks"])
    visibility = float(os.environ.get("CENSORPROBE_VISIBILITY_TIMEOUT", "3600"))
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=7 * 24 * 3600,
        broker_transport_options={
            "visibility_timeout": visibility,
            # Look for batches of dead workers often enough to matter for the timeout.
            "unacked_restore_interval": max(1.0, min(10.0, visibility / 4)),
            "unacked_restore_throttle": 1,
        },
        result_backend_transport_options={"visibility_timeout": visibility},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        task_default_queue="vantage.default",
    )
    return celery


app = _make_app()
