"""What every dispatch route shares: its query parameters, the request id, the response."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel

from target_app.answers import invalid_input
from target_app.openapi import bound_by
from target_app.request_id import RequestId
from target_app.settings import Workload
from target_app.state import State
from target_app.workloads import Work


@dataclass(frozen=True, slots=True)
class Job:
    """One dispatch request's work: which workload, how long, and who asked."""

    workload: Workload
    ms: float
    request_id: str
    work: Work

    def key(self, strategy: str) -> str:
        return f"{strategy}/{self.workload.value}"


# Finite only: `inf` would pass ge=0, and its 422 could not even be written as JSON.
Ms = Annotated[
    float,
    Query(
        ge=0,
        allow_inf_nan=False,
        description="how long the work lasts, in ms; at most BGBENCH_MAX_MS",
        json_schema_extra=bound_by("max_ms"),
    ),
]


def make_job(state: State, rid: str, workload: Workload, ms: float) -> Job:
    if ms > state.settings.max_ms:
        raise invalid_input(
            "query", "ms", f"at most {state.settings.max_ms:g} (BGBENCH_MAX_MS)", ms
        )
    return Job(workload, ms, rid, state.work[workload])


async def job(  # async: see state.py
    state: State,
    rid: RequestId,
    workload: Annotated[Workload, Query(description="what the work is")] = Workload.SLEEP,
    ms: Ms = 0.0,
) -> Job:
    return make_job(state, rid, workload, ms)


JobParams = Annotated[Job, Depends(job)]

# How many tasks a chain holds, and (for /failing) which one raises: BGBENCH_MAX_CHAIN_TASKS.
ChainLength = Annotated[
    int,
    Query(
        ge=1,
        description="how many tasks to chain; at most BGBENCH_MAX_CHAIN_TASKS",
        json_schema_extra=bound_by("max_chain_tasks"),
    ),
]


def check_chain_length(tasks: int, limit: int) -> None:
    if tasks > limit:
        raise invalid_input("query", "tasks", f"at most {limit} (BGBENCH_MAX_CHAIN_TASKS)", tasks)


class Dispatched(BaseModel):
    task_ids: list[str]
    request_id: str
    strategy: str
    workload: str
    ms: float


def dispatched(strategy: str, job: Job, task_ids: list[str]) -> Dispatched:
    return Dispatched(
        task_ids=task_ids,
        request_id=job.request_id,
        strategy=strategy,
        workload=job.workload.value,
        ms=job.ms,
    )
