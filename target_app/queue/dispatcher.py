"""The app's side of the queue strategies: send jobs through the cell's library, and apply
what its workers report back to the ledger."""

from __future__ import annotations

import asyncio
import contextlib

import redis
import redis.asyncio as aioredis

from bgbench.ledger import TaskLedger
from target_app.queue import events
from target_app.queue.job import QueuedJob
from target_app.queue.library import BrokerUnavailable, QueueLibrary, library
from target_app.settings import Settings

_STOP_WAIT_S = 5.0


class QueueDispatcher:
    def __init__(self, settings: Settings, api_url: str) -> None:
        self.library: QueueLibrary = library(settings)
        self.name = settings.queue_library
        self.broker_url = settings.broker_url
        self.events_url = settings.events_url
        self.api_url = api_url
        self.events_key = events.events_key(settings.queue_name)
        self._events = aioredis.Redis.from_url(settings.events_url)
        self._consumer: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()

    async def start(self, ledger: TaskLedger) -> None:
        try:
            await self._events.ping()
        except (redis.ConnectionError, redis.TimeoutError, OSError) as exc:
            await self._events.aclose()
            raise BrokerUnavailable(
                f"the queue strategies need Redis for their task events at {self.events_url} "
                f"({exc}); start it, or point BGBENCH_EVENTS_URL at one"
            ) from exc
        try:
            await self.library.open()
        except BrokerUnavailable:
            await self._events.aclose()
            raise
        self._consumer = asyncio.get_running_loop().create_task(
            events.consume(self._events, self.events_key, ledger, self._stopping),
            name="queue-events",
        )

    async def send(self, task_id: str, workload: str, ms: float, iterations: int) -> None:
        job = QueuedJob(task_id, workload, ms, iterations, self.events_key, self.api_url)
        await self.library.send(job)

    async def stop_events(self) -> None:
        """Stop applying the workers' events: the ledger is final from here on, and what they
        report later stays in the list, for the sweep to read (`events.late_starts`)."""
        self._stopping.set()
        if self._consumer is not None:
            # Bounded: a Redis that stopped answering would hold the app's exit (wait_for
            # cancels the consumer then; what it had popped is lost with that Redis anyway).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._consumer, timeout=_STOP_WAIT_S)

    async def stop(self) -> None:
        await self.stop_events()
        await self._events.aclose()
        await self.library.close()
