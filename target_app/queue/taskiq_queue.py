"""taskiq, over Redis (streams) or RabbitMQ (aio-pika): `taskiq worker
target_app.queue.taskiq_queue:broker --workers 1 --max-async-tasks N` runs the jobs as asyncio
tasks in one worker process, at most N at once.

At least once, with the brokers that acknowledge: over Redis, taskiq-redis's stream broker
(not its list broker, which forgets a message once read) leaves a killed worker's messages
pending, and a worker claims them once they have been idle for its idle timeout
(BGBENCH_QUEUE_VISIBILITY_TIMEOUT_S here); over RabbitMQ they go back when the connection
closes. A job is acknowledged after it ran (taskiq's default, `when_saved`).
"""

from __future__ import annotations

import sys
from typing import Any

from taskiq import AsyncBroker
from taskiq_aio_pika import AioPikaBroker
from taskiq_aio_pika.queue import Queue
from taskiq_redis import RedisStreamBroker

from bgbench.queues import QUEUES, Broker
from target_app.queue.job import QueuedJob, runner
from target_app.queue.library import QueueLibrary, broker_of, rabbitmq_messages
from target_app.settings import Settings

TASK_NAME = "bgbench.run_workload"


def _dead_letters(queue: str) -> str:
    return f"{queue}.dead_letter"


def create_broker(settings: Settings) -> AsyncBroker:
    queue = settings.queue_name
    if broker_of(settings.broker_url) is Broker.RABBITMQ:
        return AioPikaBroker(
            settings.broker_url,
            task_queues=[Queue(name=queue)],
            dead_letter_queue=Queue(name=_dead_letters(queue)),
        )
    return RedisStreamBroker(
        settings.broker_url,
        queue_name=queue,
        idle_timeout=settings.queue_visibility_timeout_s * 1000,
        # From the stream's start, not its end ("$", the default), when the group is made:
        # a worker that makes it after messages were sent (Redis restarted empty, and the app
        # sent on before the worker came back) runs them instead of skipping them.
        consumer_id="0",
    )


class Library(QueueLibrary):
    facts = QUEUES["taskiq"]
    ready_line = "Listening started."

    async def open(self) -> None:
        try:
            await broker.startup()
        except Exception as exc:  # redis' or aio-pika's own connection errors
            raise self.unavailable(exc) from exc

    async def send(self, job: QueuedJob) -> None:
        try:
            await run_workload.kicker().with_task_id(job.task_id).kiq(job.to_json())
        except Exception as exc:
            raise self.unavailable(exc) from exc

    async def close(self) -> None:
        await broker.shutdown()

    def worker_command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "taskiq", "worker", f"{__name__}:broker"),
            *("--workers", "1", "--max-async-tasks", str(self.settings.queue_concurrency)),
        ]

    def purge(self) -> None:
        if self.broker is Broker.RABBITMQ:
            import pika  # noqa: PLC0415

            connection = pika.BlockingConnection(pika.URLParameters(self.broker_url))
            try:
                channel = connection.channel()
                for name in (self.queue, _dead_letters(self.queue)):
                    channel.queue_delete(name)
            finally:
                connection.close()
            return
        import redis  # noqa: PLC0415

        redis.Redis.from_url(self.broker_url, socket_timeout=5).delete(self.queue)

    def held(self) -> int:
        if self.broker is Broker.RABBITMQ:
            return rabbitmq_messages(self.broker_url, self.queue)
        import redis  # noqa: PLC0415

        # A stream keeps its entries once acked: what is held is what the consumer group has
        # not been given yet (its lag) and what it was given and never acked (pending).
        client = redis.Redis.from_url(self.broker_url, socket_timeout=5, decode_responses=True)
        if not client.exists(self.queue):
            return 0
        groups = client.xinfo_groups(self.queue)
        return sum(int(g["lag"] or 0) + int(g["pending"]) for g in groups)


# Both sides: the app kicks through it, and `taskiq worker` listens on it.
broker = create_broker(Settings())


@broker.task(task_name=TASK_NAME)
async def run_workload(job: dict[str, Any]) -> None:
    await runner().run_async(QueuedJob(**job))
