"""A ProcessPoolExecutor for CPU work: it escapes the GIL, at the price of pickling the
arguments and a process hop. Workers get their own clock readings back to the ledger."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query

from bgbench.ledger import TaskLedger
from target_app.dispatch import Dispatched, Job, Ms, dispatched, make_job
from target_app.request_id import RequestId
from target_app.settings import Workload
from target_app.state import State
from target_app.workloads.cpu import burn

router = APIRouter(tags=["strategies"])

TimedResult = tuple[float, float, Any]


def run_in_process(workload: str, amount: float) -> TimedResult:
    """Runs in a pool process: `amount` is milliseconds of sleep or iterations of CPU work."""
    started = time.time()
    result = None
    if workload == Workload.CPU:
        result = burn(int(amount))
    else:
        time.sleep(amount / 1000)
    return started, time.time(), result


def record_outcome(ledger: TaskLedger, task_id: str) -> Callable[[Future[TimedResult]], None]:
    def on_done(future: Future[TimedResult]) -> None:
        if future.cancelled():
            ledger.skip(task_id, "not run: dropped from the process pool queue at shutdown")
            return
        error = future.exception()
        if error is not None:
            ledger.fail(task_id, f"{type(error).__name__}: {error}")
            return
        started, finished, result = future.result()
        ledger.start(task_id, at=started)
        ledger.finish(task_id, result, at=finished)

    return on_done


# sleep or cpu only: db and http work needs the app's connection pools, which do not cross a
# process boundary.
PoolWorkload = Literal["sleep", "cpu"]


async def pool_job(  # async: see state.py
    state: State,
    rid: RequestId,
    workload: Annotated[PoolWorkload, Query(description="what the work is")] = "sleep",
    ms: Ms = 0.0,
) -> Job:
    return make_job(state, rid, Workload(workload), ms)


@router.get("/process-pool", response_model=Dispatched)
async def process_pool(state: State, job: Annotated[Job, Depends(pool_job)]) -> Dispatched:
    """sleep or cpu only: db and http work needs the app's connection pools, which do not
    cross a process boundary."""
    amount = state.cpu.iterations(job.ms) if job.workload is Workload.CPU else job.ms
    task_id = state.ledger.enqueue(job.key("process_pool"), job.request_id)
    future = state.process_pool.submit(run_in_process, job.workload.value, amount)
    future.add_done_callback(record_outcome(state.ledger, task_id))
    return dispatched("process_pool", job, [task_id])
