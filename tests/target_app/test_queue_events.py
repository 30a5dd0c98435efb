"""The workers' events, over a real Redis: applied to the ledger until the app's drain ends,
kept for the sweep after it."""

from __future__ import annotations

import asyncio
import uuid

import redis
import redis.asyncio as aioredis

from bgbench.ledger import TaskLedger, TaskStatus
from target_app.queue import events
from tests.conftest import require_service


def _queue() -> str:
    return f"bgbench-test-{uuid.uuid4().hex[:8]}"


def test_events_after_the_consumer_stopped_are_kept_and_counted_as_late_starts() -> None:
    url = require_service("redis")
    queue = _queue()
    key = events.events_key(queue)
    reporter = events.Reporter(url)
    ledger = TaskLedger()
    early = ledger.enqueue("queue/sleep", "r0")

    async def scenario() -> None:
        client = aioredis.Redis.from_url(url)
        stopping = asyncio.Event()
        consumer = asyncio.create_task(events.consume(client, key, ledger, stopping))
        reporter.report(key, early, events.STARTED)
        reporter.report(key, early, events.DONE, result=None)
        assert await asyncio.to_thread(ledger.wait_until_idle, 5)
        stopping.set()
        await asyncio.wait_for(consumer, timeout=5)
        await client.aclose()

    asyncio.run(scenario())
    assert ledger.status_of(early) is TaskStatus.DONE
    # The app's ledger is final now: what the worker says next waits in the list.
    late, other = ledger.enqueue("queue/sleep", "r1"), ledger.enqueue("queue/sleep", "r2")
    reporter.report(key, late, events.STARTED)
    reporter.report(key, late, events.DONE, result=None)
    reporter.report(key, other, events.STARTED)
    assert ledger.status_of(late) is TaskStatus.QUEUED
    client = redis.Redis.from_url(url)
    try:
        assert 0 < client.ttl(key) <= events.EXPIRES_S  # a list no one reads goes away
        assert events.late_starts(url, queue) == 2
        assert client.exists(key) == 0  # read once, then deleted
        assert events.late_starts(url, queue) == 0
    finally:
        client.delete(key)
        client.close()


def test_late_starts_reads_only_its_own_queues_lists() -> None:
    url = require_service("redis")
    mine, theirs = _queue(), _queue()
    reporter = events.Reporter(url)
    reporter.report(events.events_key(mine), "a", events.STARTED)
    reporter.report(events.events_key(mine), "b", events.STARTED)  # a second app process
    reporter.report(events.events_key(theirs), "c", events.STARTED)
    assert events.late_starts(url, mine) == 2
    assert events.late_starts(url, theirs) == 1
