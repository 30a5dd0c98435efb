"""The app's side of the queue strategy: send tasks to Celery, and apply what the workers
report back to the ledger."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import redis
import redis.asyncio as aioredis

from target_app.ledger import TaskLedger
from target_app.queue import events
from target_app.queue.celery_app import TASK_NAME, create_celery
from target_app.settings import Settings


class BrokerUnavailable(RuntimeError):
    pass


class QueueDispatcher:
    def __init__(self, settings: Settings, api_url: str) -> None:
        self.broker_url = settings.broker_url
        self.celery = create_celery(settings)
        self.api_url = api_url
        self.events_key = f"bgbench:events:{uuid.uuid4().hex}"
        self._redis = aioredis.Redis.from_url(settings.broker_url)
        self._consumer: asyncio.Task[None] | None = None

    async def start(self, ledger: TaskLedger) -> None:
        try:
            await self._redis.ping()
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            await self._redis.aclose()
            raise BrokerUnavailable(
                f"the queue strategy needs its broker at {self.broker_url} ({exc}); start "
                "Redis, point BGBENCH_BROKER_URL at one, or leave BGBENCH_QUEUE_ENABLED unset"
            ) from exc
        self._consumer = asyncio.get_running_loop().create_task(
            events.consume(self._redis, self.events_key, ledger), name="queue-events"
        )

    def send(self, task_id: str, workload: str, ms: float, iterations: int) -> None:
        """Blocking (a publish to Redis): call it from a thread, not the event loop."""
        self.celery.send_task(
            TASK_NAME,
            args=[task_id, workload, ms, iterations, self.events_key, self.api_url],
            task_id=task_id,
        )

    async def stop(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._consumer
        with contextlib.suppress(redis.RedisError, OSError):
            await self._redis.delete(self.events_key)
        await self._redis.aclose()
        self.celery.close()
