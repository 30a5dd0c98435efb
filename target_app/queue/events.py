"""Task events from the workers back to the app: one Redis list per app process, whatever the
queue's own broker (BGBENCH_EVENTS_URL).

A list, not pub/sub or Celery's own events: a message waits there until the app reads it, so
no start or finish is lost while the app is busy, and they arrive in the order they were sent.

The list is named after the queue (`bgbench:events:<queue>:<app process>`) and outlives the
app: a worker still running after the app's drain ended goes on taking jobs, and the sweep
reads what it said then (`late_starts`) to tell those from jobs the broker lost. Every push
renews an expiry, so a list no one reads goes away by itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
from typing import Any

import redis
import redis.asyncio as aioredis

from bgbench.ledger import TaskLedger, UnknownTask

log = logging.getLogger("target_app.queue")

STARTED, DONE, FAILED = "started", "done", "failed"
_BATCH = 500
_STOP_CHECK_S = 0.2  # how soon the consumer sees it should stop
EXPIRES_S = 3600


def _keys_of(queue: str) -> str:
    return f"bgbench:events:{queue}:"


def events_key(queue: str) -> str:
    """A new app process's list, under its queue's name."""
    return f"{_keys_of(queue)}{uuid.uuid4().hex}"


def late_starts(url: str, queue: str) -> int:
    """Jobs of `queue` that started with no app left to read it (after its drain), counted
    from what its apps' lists still hold; the lists are then deleted."""
    client = redis.Redis.from_url(url)
    try:
        keys = list(client.scan_iter(match=f"{_keys_of(queue)}*", count=1000))
        started = 0
        for key in keys:
            for raw in client.lrange(key, 0, -1):
                started += json.loads(raw)["event"] == STARTED
        if keys:
            client.delete(*keys)
        return started
    finally:
        client.close()


def _message(task_id: str, event: str, fields: dict[str, Any]) -> str:
    return json.dumps({"id": task_id, "event": event, "at": time.time(), **fields})


class Reporter:
    """Worker side: each event sent at once (a worker killed later has still said it)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: redis.Redis | None = None

    def report(self, key: str, task_id: str, event: str, **fields: Any) -> None:
        if self._client is None:  # made on first use: after the worker's fork, not before
            self._client = redis.Redis.from_url(self.url)
        # One round trip for both: the push and the expiry it renews.
        self._client.pipeline(transaction=False).rpush(
            key, _message(task_id, event, fields)
        ).expire(key, EXPIRES_S).execute()


class AsyncReporter:
    """The same, for workers that run their jobs on an event loop."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client: aioredis.Redis | None = None

    async def report(self, key: str, task_id: str, event: str, **fields: Any) -> None:
        if self._client is None:  # bound to the loop of its first use: the worker's
            self._client = aioredis.Redis.from_url(self.url)
        pipeline = self._client.pipeline(transaction=False)
        await pipeline.rpush(key, _message(task_id, event, fields)).expire(key, EXPIRES_S).execute()


def apply(ledger: TaskLedger, message: dict[str, Any]) -> None:
    task_id, event, at = message["id"], message["event"], message["at"]
    if event == STARTED:
        ledger.start(task_id, at=at)
    elif event == DONE:
        ledger.finish(task_id, message.get("result"), at=at)
    elif event == FAILED:
        ledger.fail(task_id, str(message.get("error")), at=at)


async def consume(
    client: aioredis.Redis, key: str, ledger: TaskLedger, stopping: asyncio.Event
) -> None:
    """App side: apply events to the ledger until `stopping` is set. Not cancelled: a
    cancellation could land between popping events and applying them, and lose them."""
    while not stopping.is_set():
        try:
            first = await client.blpop([key], timeout=_STOP_CHECK_S)
            if first is None:
                continue
            batch = [first[1]]
            more = await client.lpop(key, _BATCH)
            if isinstance(more, list):
                batch.extend(more)
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            log.error("cannot read task events from the broker: %s", exc)
            await asyncio.sleep(1)
            continue
        for raw in batch:
            try:
                apply(ledger, json.loads(raw))
            except (UnknownTask, ValueError, KeyError) as exc:
                log.error("ignored a task event %r: %s", raw[:200], exc)
