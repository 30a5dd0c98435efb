"""A thread pool with a worker limit, as the guide suggests for limiting concurrency:

    executor = ThreadPoolExecutor(max_workers=5)

    @app.post("/process")
    async def process(data: dict):
        executor.submit(heavy_work, data)
        return {"status": "queued"}

Done right: the queue is bounded (BGBENCH_EXECUTOR_QUEUE_LIMIT; when full the route answers
503 with Retry-After instead of buffering without limit), tasks have priorities, failures are
logged instead of vanishing into an unread Future, and queued work is drained at shutdown.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from bgbench.ledger import TaskLedger
from target_app.answers import refused
from target_app.dispatch import Dispatched, JobParams, dispatched
from target_app.priority_executor import ExecutorQueueFull, Priority
from target_app.state import State
from target_app.tracking import run_tracked

router = APIRouter(tags=["strategies"])

PriorityName = Literal["high", "normal", "low"]


def record_if_cancelled(ledger: TaskLedger, task_id: str) -> Callable[[Future[Any]], None]:
    def on_done(future: Future[Any]) -> None:
        if future.cancelled():
            ledger.skip(task_id, "not run: dropped from the executor queue at shutdown")

    return on_done


@router.get(
    "/executor",
    response_model=Dispatched,
    responses=refused(
        503,
        "The bounded executor queue (BGBENCH_EXECUTOR_QUEUE_LIMIT) is full; retry later",
        retry=True,
    ),
)
async def executor(
    state: State,
    job: JobParams,
    priority: Annotated[PriorityName, Query(description="queued higher first")] = "normal",
) -> Dispatched | JSONResponse:
    task_id = state.ledger.enqueue(job.key("executor"), job.request_id)
    work = partial(job.work.run_sync, job.ms)
    try:
        future = state.executor.submit_with_priority(
            Priority[priority.upper()], run_tracked, state.ledger, task_id, work
        )
    except ExecutorQueueFull as full:
        state.ledger.reject(task_id, f"rejected: {full}")
        retry_after = str(state.settings.executor_retry_after_s)
        return JSONResponse(
            {"detail": f"{full}; retry after {retry_after} s", "request_id": job.request_id},
            status_code=503,
            headers={"Retry-After": retry_after, "X-Request-ID": job.request_id},
        )
    future.add_done_callback(record_if_cancelled(state.ledger, task_id))
    return dispatched("executor", job, [task_id])
