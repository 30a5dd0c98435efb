"""Task events from the workers back to the app: one Redis list per app process.

A list, not pub/sub or Celery's own events: a message waits there until the app reads it, so
no start or finish is lost while the app is busy, and they arrive in the order they were sent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from typing import Any

import redis
import redis.asyncio as aioredis

from target_app.ledger import TaskLedger, UnknownTask

log = logging.getLogger("target_app.queue")

STARTED, DONE, FAILED = "started", "done", "failed"
_BATCH = 500

_clients: dict[str, redis.Redis] = {}


def report(broker_url: str, key: str, task_id: str, event: str, **fields: Any) -> None:
    """Worker side: one event, sent at once (a worker killed later has still said it)."""
    client = _clients.get(broker_url)
    if client is None:  # one connection pool per worker process, made after the fork
        client = _clients[broker_url] = redis.Redis.from_url(broker_url)
    message = {"id": task_id, "event": event, "at": time.time(), **fields}
    client.rpush(key, json.dumps(message))


def apply(ledger: TaskLedger, message: dict[str, Any]) -> None:
    task_id, event, at = message["id"], message["event"], message["at"]
    if event == STARTED:
        ledger.start(task_id, at=at)
    elif event == DONE:
        ledger.finish(task_id, message.get("result"), at=at)
    elif event == FAILED:
        ledger.fail(task_id, str(message.get("error")), at=at)


async def consume(client: aioredis.Redis, key: str, ledger: TaskLedger) -> None:
    """App side: apply events to the ledger until cancelled."""
    while True:
        try:
            first = await client.blpop([key], timeout=1)
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
