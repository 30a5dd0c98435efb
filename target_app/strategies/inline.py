"""The control: the request does the work itself and the user waits for it."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter

from target_app.dispatch import Dispatched, JobParams, dispatched
from target_app.state import State
from target_app.tracking import run_tracked

router = APIRouter(tags=["strategies"])


@router.get("/inline", response_model=Dispatched)
def inline(state: State, job: JobParams) -> Dispatched:
    """The work runs inside the request (a `def` endpoint, so in the thread pool) before the
    response: the "without background tasks" control."""
    task_id = state.ledger.enqueue(job.key("inline"), job.request_id)
    run_tracked(state.ledger, task_id, partial(job.work.run_sync, job.ms))
    return dispatched("inline", job, [task_id])
