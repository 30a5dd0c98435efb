"""The Celery application shared by the app (which sends) and the workers (which run)."""

from __future__ import annotations

from celery import Celery

from target_app.settings import Settings

TASK_NAME = "bgbench.run_workload"


def create_celery(settings: Settings) -> Celery:
    app = Celery("bgbench", broker=settings.broker_url, backend=settings.broker_url)
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        # Acknowledge after the task ran, and give the message back if the worker process
        # died running it: a kill mid-task means a second delivery, not a lost task.
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One unacknowledged task per worker process: no hoarding while others idle.
        worker_prefetch_multiplier=1,
        # Results travel back over the events list (see events.py), not the result backend.
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={
            "visibility_timeout": settings.queue_visibility_timeout_s,
            # Sweep for abandoned messages every second, so a short visibility timeout is
            # honoured promptly (kombu's default sweeps every 100 s).
            "unacked_restore_interval": 1,
            "unacked_restore_throttle": 1,
        },
    )
    return app
