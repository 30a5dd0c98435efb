"""A chain of tasks in which one raises, written two ways.

Unguarded (as tasks are usually written): the exception escapes into Starlette, which runs
none of the later tasks and lets uvicorn close the connection; the ledger records the later
tasks as not run. Guarded (the guide's try/except + logging): the failure is logged with the
request id and counted, and the chain goes on.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Query

from target_app.answers import invalid_input
from target_app.dispatch import (
    ChainLength,
    Dispatched,
    JobParams,
    check_chain_length,
    dispatched,
)
from target_app.openapi import bound_by
from target_app.state import State
from target_app.tracking import run_tracked

router = APIRouter(tags=["strategies"])


class SimulatedFailure(RuntimeError):
    """The failure /failing asks for."""


def _fail(task_number: int) -> None:
    raise SimulatedFailure(f"task {task_number} failed on purpose (?fail_at={task_number})")


# Which task raises is at most `tasks`: a bound on another parameter, which JSON Schema cannot
# state; the description does, and the check below refuses the rest with a 422.
FailAt = Annotated[
    int,
    Query(
        ge=1,
        description="which task raises, from 1; at most `tasks`",
        json_schema_extra=bound_by("max_chain_tasks"),
    ),
]


@router.get("/failing", response_model=Dispatched)
async def failing(
    state: State,
    job: JobParams,
    background_tasks: BackgroundTasks,
    tasks: ChainLength = 3,
    fail_at: FailAt = 1,
    guarded: Annotated[bool, Query(description="wrap each task in try/except + logging")] = False,
) -> Dispatched:
    check_chain_length(tasks, state.settings.max_chain_tasks)
    if fail_at > tasks:
        raise invalid_input("query", "fail_at", f"at most tasks={tasks}", fail_at)
    strategy = "failing_guarded" if guarded else "failing"
    task_ids = state.ledger.enqueue_chain(job.key(strategy), job.request_id, tasks)
    for number, task_id in enumerate(task_ids, start=1):
        work = partial(_fail, number) if number == fail_at else partial(job.work.run_sync, job.ms)
        background_tasks.add_task(run_tracked, state.ledger, task_id, work, guarded=guarded)
    return dispatched(strategy, job, task_ids)
