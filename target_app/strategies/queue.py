"""An external task queue: Celery over Redis. The request only publishes a message; worker
processes (`celery -A target_app.queue.worker worker`) run the work, and tell the app when
they start and finish it."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from kombu.exceptions import OperationalError
from starlette.concurrency import run_in_threadpool

from target_app.answers import refused
from target_app.dispatch import Dispatched, JobParams, dispatched
from target_app.settings import Workload
from target_app.state import State

router = APIRouter(tags=["strategies"])


def _unavailable(message: str, request_id: str) -> JSONResponse:
    return JSONResponse(
        {"detail": message, "request_id": request_id},
        status_code=503,
        headers={"Retry-After": "5", "X-Request-ID": request_id},
    )


@router.get(
    "/queue",
    response_model=Dispatched,
    responses=refused(503, "The queue strategy is off, or its broker is unreachable", retry=True),
)
async def queue(state: State, job: JobParams) -> Dispatched | JSONResponse:
    dispatcher = state.queue
    if dispatcher is None:
        return _unavailable(
            "the queue strategy is off: start the app with BGBENCH_QUEUE_ENABLED=true and run "
            "a worker: celery -A target_app.queue.worker worker",
            job.request_id,
        )
    iterations = state.cpu.iterations(job.ms) if job.workload is Workload.CPU else 0
    task_id = state.ledger.enqueue(job.key("queue"), job.request_id)
    try:
        # Publishing is a blocking round trip to Redis: keep it off the event loop.
        await run_in_threadpool(dispatcher.send, task_id, job.workload.value, job.ms, iterations)
    except OperationalError as exc:
        state.ledger.skip(task_id, f"not sent: the broker is unreachable ({exc})")
        return _unavailable(f"the broker at {dispatcher.broker_url} is unreachable", job.request_id)
    return dispatched("queue", job, [task_id])
