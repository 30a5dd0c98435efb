"""An external task queue (Celery, arq, ...: BGBENCH_QUEUE_LIBRARY). The request only
publishes a message; the library's workers run the work, and tell the app when they start and
finish it. Their commands: docs/target-app.md."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from target_app.answers import refused
from target_app.dispatch import Dispatched, JobParams, dispatched
from target_app.queue.library import BrokerUnavailable
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
            "its library's worker (docs/target-app.md)",
            job.request_id,
        )
    iterations = state.cpu.iterations(job.ms) if job.workload is Workload.CPU else 0
    task_id = state.ledger.enqueue(job.key("queue"), job.request_id)
    try:
        await dispatcher.send(task_id, job.workload.value, job.ms, iterations)
    except BrokerUnavailable as exc:
        state.ledger.skip(task_id, f"not sent: the broker is unreachable ({exc})")
        return _unavailable(f"the broker at {dispatcher.broker_url} is unreachable", job.request_id)
    return dispatched("queue", job, [task_id])
