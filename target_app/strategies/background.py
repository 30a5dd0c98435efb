"""FastAPI's BackgroundTasks, three ways: a sync function (run in the thread pool), an async
function (run on the event loop), and the anti-pattern of a blocking call inside an async one.

The guide's version:

    @app.post("/send-notification/{email}")
    async def send_notification(email: str, background_tasks: BackgroundTasks):
        background_tasks.add_task(write_notification, email, message="some notification")
        return {"message": "Notification sent in the background"}
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, BackgroundTasks

from bgbench.ledger import TaskLedger
from target_app.dispatch import Dispatched, JobParams, dispatched
from target_app.state import State
from target_app.tracking import run_tracked, run_tracked_async
from target_app.workloads import Work

router = APIRouter(tags=["strategies"])


@router.get("/background", response_model=Dispatched)
async def background(state: State, job: JobParams, background_tasks: BackgroundTasks) -> Dispatched:
    """A sync task: Starlette runs it in anyio's thread pool after the response is sent,
    sharing the pool's tokens with every `def` endpoint and sync dependency."""
    task_id = state.ledger.enqueue(job.key("background"), job.request_id)
    background_tasks.add_task(
        run_tracked, state.ledger, task_id, partial(job.work.run_sync, job.ms)
    )
    return dispatched("background", job, [task_id])


@router.get("/background-async", response_model=Dispatched)
async def background_async(
    state: State, job: JobParams, background_tasks: BackgroundTasks
) -> Dispatched:
    """An async task: it runs on the event loop, interleaved with requests."""
    task_id = state.ledger.enqueue(job.key("background_async"), job.request_id)
    background_tasks.add_task(
        run_tracked_async, state.ledger, task_id, partial(job.work.run_async, job.ms)
    )
    return dispatched("background_async", job, [task_id])


async def _blocking_inside_async(ledger: TaskLedger, task_id: str, work: Work, ms: float) -> None:
    # The mistake this route exists to show: `async def` with a blocking call inside. It runs
    # on the event loop, so every other request waits until it returns.
    run_tracked(ledger, task_id, partial(work.run_sync, ms))


@router.get(
    "/background-blocking",
    response_model=Dispatched,
    summary="ANTI-PATTERN: a blocking call inside an async background task",
    description=(
        "**Anti-pattern, kept to measure it.** The task is an `async def` that makes a "
        "blocking call (time.sleep, a sync driver, CPU work): it runs on the event loop and "
        "stalls every request and task of the process until it returns. Use a plain `def` "
        "task (see /background) or an async library instead."
    ),
)
async def background_blocking(
    state: State, job: JobParams, background_tasks: BackgroundTasks
) -> Dispatched:
    task_id = state.ledger.enqueue(job.key("background_blocking"), job.request_id)
    background_tasks.add_task(_blocking_inside_async, state.ledger, task_id, job.work, job.ms)
    return dispatched("background_blocking", job, [task_id])
