"""Dramatiq, over Redis or RabbitMQ: `dramatiq target_app.queue.dramatiq_queue:broker
--processes 1 --threads N` runs the jobs in N threads of one worker process.

At least once: Dramatiq acknowledges a message after its actor returned. Over RabbitMQ a
killed worker's unacknowledged messages go back to the queue when its connection closes; over
Redis they are put back by another worker's maintenance once the dead one has missed its
heartbeats for heartbeat_timeout (BGBENCH_QUEUE_VISIBILITY_TIMEOUT_S here), at its next
maintenance (on every command here, not Dramatiq's 0.1% of them). Retries are off
(max_retries=0) so that a failure counts once; the other default middleware stays.
"""

from __future__ import annotations

import sys

import dramatiq
from dramatiq.brokers.rabbitmq import RabbitmqBroker
from dramatiq.brokers.redis import MAINTENANCE_SCALE, RedisBroker
from starlette.concurrency import run_in_threadpool

from bgbench.queues import QUEUES, Broker
from target_app.queue.job import QueuedJob, runner
from target_app.queue.library import QueueLibrary, broker_of, rabbitmq_messages
from target_app.settings import Settings

ACTOR_NAME = "bgbench_run_workload"


def create_broker(settings: Settings) -> dramatiq.Broker:
    if broker_of(settings.broker_url) is Broker.RABBITMQ:
        return RabbitmqBroker(url=settings.broker_url)
    return RedisBroker(  # type: ignore[no-untyped-call]
        url=settings.broker_url,
        heartbeat_timeout=settings.queue_visibility_timeout_s * 1000,
        # Maintenance (which gives a dead worker's messages back) runs on 0.1% of commands by
        # default, so a crash's redelivery came after about a thousand fetches; on every
        # command here, so that it comes once the heartbeat timeout has passed.
        maintenance_chance=MAINTENANCE_SCALE,
    )


class Library(QueueLibrary):
    facts = QUEUES["dramatiq"]
    ready_line = "Worker process is ready for action."

    async def open(self) -> None:
        def connect() -> None:  # declaring a queue connects to neither broker
            broker.declare_queue(self.queue)
            if isinstance(broker, RedisBroker):
                broker.client.ping()
            elif isinstance(broker, RabbitmqBroker):
                broker.connection.process_data_events(0)  # the property connects

        try:
            await run_in_threadpool(connect)
        except Exception as exc:  # redis' or pika's own connection errors
            raise self.unavailable(exc) from exc

    async def send(self, job: QueuedJob) -> None:
        try:
            # A publish is a blocking round trip to the broker: off the event loop.
            await run_in_threadpool(run_workload.send, job.to_json())
        except Exception as exc:
            raise self.unavailable(exc) from exc

    async def close(self) -> None:
        await run_in_threadpool(broker.close)

    def worker_command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "dramatiq", f"{__name__}:broker"),
            *("--processes", "1", "--threads", str(self.settings.queue_concurrency)),
            *("--queues", self.queue),
        ]

    def purge(self) -> None:
        # A broker of these settings', not the module's: the sweep purges cell after cell,
        # each with its own broker and queue, from one process.
        own = create_broker(self.settings)
        own.flush(self.queue)  # the queue and its dead letters (and delays, on RabbitMQ)
        if isinstance(own, RabbitmqBroker):
            for name in (self.queue, f"{self.queue}.DQ", f"{self.queue}.XQ"):
                own.channel.queue_delete(name)
        own.close()

    def held(self) -> int:
        if self.broker is Broker.RABBITMQ:
            return rabbitmq_messages(self.broker_url, self.queue)
        own = create_broker(self.settings)
        assert isinstance(own, RedisBroker)
        try:
            # Every message not yet acked, queued or taken, is in the queue's hash of them.
            count: int = own.client.hlen(f"{own.namespace}:{self.queue}.msgs")
        finally:
            own.close()
        return count


# Both sides: the app publishes through it, and `dramatiq` runs its actor.
_settings = Settings()
broker = create_broker(_settings)
dramatiq.set_broker(broker)


@dramatiq.actor(actor_name=ACTOR_NAME, queue_name=_settings.queue_name, max_retries=0)
def run_workload(job: dict[str, object]) -> None:
    runner().run_sync(QueuedJob(**job))  # type: ignore[arg-type]
