"""Run one unit of background work and tell the ledger what happened to it.

Every strategy wraps its work in one of these, so a task's start, finish and failure are
recorded the same way whether it runs in a thread, on the event loop or in another process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bgbench.ledger import TaskLedger

log = logging.getLogger("target_app.tasks")

T = TypeVar("T")


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def _log_failure(ledger: TaskLedger, task_id: str, exc: BaseException, *, guarded: bool) -> None:
    record = ledger.get(task_id)
    key, request_id = (record.key, record.request_id) if record else ("?", "?")
    log.error(
        "task %s (%s) for request %s failed: %s",
        task_id,
        key,
        request_id,
        _describe(exc),
        # Unguarded, the exception goes on to uvicorn, which logs the traceback itself.
        exc_info=exc if guarded else None,
    )


def _record_failure(ledger: TaskLedger, task_id: str, exc: Exception, *, guarded: bool) -> None:
    # Log first: once the ledger says "failed", the log line must already be there.
    _log_failure(ledger, task_id, exc, guarded=guarded)
    # Unguarded, the exception escapes into Starlette, which skips the rest of the chain.
    ledger.fail(task_id, _describe(exc), stops_chain=not guarded)


def run_tracked(
    ledger: TaskLedger, task_id: str, work: Callable[[], T], *, guarded: bool = False
) -> T | None:
    """Run `work` now, in this thread.

    Unguarded, an exception is recorded and re-raised, as a task written without try/except
    behaves: Starlette then skips the rest of the request's tasks, which the ledger records
    as not run. Guarded (the guide's try/except + logging), it is recorded and swallowed.
    """
    ledger.start(task_id)
    try:
        result = work()
    except Exception as exc:
        _record_failure(ledger, task_id, exc, guarded=guarded)
        if guarded:
            return None
        raise
    ledger.finish(task_id, result)
    return result


async def run_tracked_async(
    ledger: TaskLedger,
    task_id: str,
    work: Callable[[], Awaitable[T]],
    *,
    guarded: bool = False,
) -> T | None:
    """The coroutine twin of `run_tracked`, for work that runs on the event loop."""
    ledger.start(task_id)
    try:
        result = await work()
    except asyncio.CancelledError:
        # uvicorn cancels running tasks after --timeout-graceful-shutdown.
        ledger.fail(task_id, "CancelledError: cancelled at shutdown")
        raise
    except Exception as exc:
        _record_failure(ledger, task_id, exc, guarded=guarded)
        if guarded:
            return None
        raise
    ledger.finish(task_id, result)
    return result
