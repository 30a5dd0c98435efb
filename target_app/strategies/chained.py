"""Several tasks added to one BackgroundTasks: Starlette runs them one after another, in the
order they were added, after the response."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, BackgroundTasks

from target_app.dispatch import (
    ChainLength,
    Dispatched,
    JobParams,
    check_chain_length,
    dispatched,
)
from target_app.state import State
from target_app.tracking import run_tracked

router = APIRouter(tags=["strategies"])


@router.get("/chained", response_model=Dispatched)
async def chained(
    state: State,
    job: JobParams,
    background_tasks: BackgroundTasks,
    tasks: ChainLength = 3,
) -> Dispatched:
    check_chain_length(tasks, state.settings.max_chain_tasks)
    task_ids = state.ledger.enqueue_chain(job.key("chained"), job.request_id, tasks)
    for task_id in task_ids:
        background_tasks.add_task(
            run_tracked, state.ledger, task_id, partial(job.work.run_sync, job.ms)
        )
    return dispatched("chained", job, task_ids)
