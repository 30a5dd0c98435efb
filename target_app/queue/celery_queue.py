"""Celery, over Redis or RabbitMQ: `celery -A target_app.queue.celery_queue worker` runs the
jobs in prefork processes (--concurrency).

At least once: a job is acknowledged after it ran (acks late) and given back if its worker
process died running it, so a kill mid-task means a second delivery, not a lost task. Over
RabbitMQ it is given back at once, when the worker's connection closes. Over Redis it waits for
the visibility timeout (BGBENCH_QUEUE_VISIBILITY_TIMEOUT_S) and then for a worker to look: kombu
5.6 (the newest that goes with arq's redis-py < 6) restores such messages when a worker starts,
and after that only about every 100 s.
"""

from __future__ import annotations

import json
import os
import sys
import time

from celery import Celery
from kombu.exceptions import OperationalError

from bgbench.queues import QUEUES, Broker
from target_app.queue.job import QueuedJob, runner
from target_app.queue.library import QueueLibrary, rabbitmq_messages
from target_app.settings import Settings

TASK_NAME = "bgbench.run_workload"
UNACKED_KEY = "unacked"  # kombu's Redis transport: delivery tag -> [message, exchange, key]


def _amqp(url: str) -> str:
    return "pyamqp" + url[url.index(":") :] if url.startswith("amqp:") else url


def create_celery(settings: Settings) -> Celery:
    app = Celery("bgbench", broker=_amqp(settings.broker_url))
    app.conf.update(
        task_default_queue=settings.queue_name,
        task_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # One unacknowledged task per worker process: no hoarding while others idle.
        worker_prefetch_multiplier=1,
        # Results travel back over the events list (see events.py), not a result backend.
        task_ignore_result=True,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": settings.queue_visibility_timeout_s},
    )
    return app


class Library(QueueLibrary):
    facts = QUEUES["celery"]
    ready_line = " ready."

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.celery = create_celery(settings)

    async def open(self) -> None:
        try:
            with self.celery.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=2)
        except (OperationalError, OSError) as exc:
            raise self.unavailable(exc) from exc

    async def send(self, job: QueuedJob) -> None:
        # A publish is a blocking round trip to the broker: off the event loop.
        from starlette.concurrency import run_in_threadpool  # noqa: PLC0415

        try:
            await run_in_threadpool(
                self.celery.send_task, TASK_NAME, kwargs=job.to_json(), task_id=job.task_id
            )
        except OperationalError as exc:
            raise self.unavailable(exc) from exc

    async def close(self) -> None:
        self.celery.close()

    def worker_command(self) -> list[str]:
        return [
            sys.executable,
            *("-m", "celery", "--app", __name__, "worker"),
            *("--concurrency", str(self.settings.queue_concurrency), "--pool", "prefork"),
            *("--queues", self.queue, "--loglevel", "INFO"),
            *("--hostname", f"bgbench-{os.getpid()}-{time.monotonic_ns()}@%h"),
            # Nothing here needs the cluster chatter; it only slows the start.
            *("--without-gossip", "--without-mingle", "--without-heartbeat"),
        ]

    def purge(self) -> None:
        if self.broker is Broker.REDIS:
            import redis  # noqa: PLC0415

            redis.Redis.from_url(self.broker_url, socket_timeout=5).delete(self.queue)
            return
        with self.celery.connection_for_write() as connection:
            channel = connection.default_channel
            channel.queue_delete(self.queue)  # type: ignore[attr-defined]  # and its messages

    def held(self) -> int:
        if self.broker is Broker.RABBITMQ:
            return rabbitmq_messages(self.broker_url, self.queue)
        import redis  # noqa: PLC0415

        client = redis.Redis.from_url(self.broker_url, socket_timeout=5)
        # Kombu keeps each unacked message in one hash for every queue, routed by its key.
        unacked: int = sum(
            json.loads(entry)[2] == self.queue for entry in client.hvals(UNACKED_KEY)
        )
        waiting: int = client.llen(self.queue)
        return waiting + unacked


# The worker's side: `celery -A target_app.queue.celery_queue worker` loads this module.
app = create_celery(Settings())


@app.task(name=TASK_NAME)
def run_workload(**job: object) -> None:
    runner().run_sync(QueuedJob(**job))  # type: ignore[arg-type]
