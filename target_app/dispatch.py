"""What every dispatch route shares: its query parameters, the request id, the response."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from target_app.settings import Workload
from target_app.state import State
from target_app.workloads import Work

REQUEST_ID_HEADER = "X-Request-ID"
# Echoed into logs and headers: keep it to characters that cannot forge a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")


# What of a refused value the 422 echoes back: enough to recognise it, never a megabyte.
ECHO_LIMIT = 64


def invalid_input(location: str, name: str, message: str, value: object) -> RequestValidationError:
    if isinstance(value, str) and len(value) > ECHO_LIMIT:
        value = f"{value[:ECHO_LIMIT]}… ({len(value):,} characters)"
    return RequestValidationError(
        [{"type": "value_error", "loc": (location, name), "msg": message, "input": value}]
    )


async def request_id(request: Request, response: Response) -> str:  # async: see state.py
    sent = request.headers.get(REQUEST_ID_HEADER)
    if sent is None:
        rid = uuid.uuid4().hex
    elif _REQUEST_ID.fullmatch(sent):
        rid = sent
    else:
        raise invalid_input("header", REQUEST_ID_HEADER, "1 to 128 of A-Z a-z 0-9 . _ : -", sent)
    response.headers[REQUEST_ID_HEADER] = rid
    return rid


RequestId = Annotated[str, Depends(request_id)]


@dataclass(frozen=True, slots=True)
class Job:
    """One dispatch request's work: which workload, how long, and who asked."""

    workload: Workload
    ms: float
    request_id: str
    work: Work

    def key(self, strategy: str) -> str:
        return f"{strategy}/{self.workload.value}"


async def job(  # async: see state.py
    state: State,
    rid: RequestId,
    workload: Annotated[Workload, Query(description="what the work is")] = Workload.SLEEP,
    # Finite only: `inf` would pass ge=0, and its 422 could not even be written as JSON.
    ms: Annotated[
        float, Query(ge=0, allow_inf_nan=False, description="how long the work lasts, in ms")
    ] = 0.0,
) -> Job:
    if ms > state.settings.max_ms:
        raise invalid_input(
            "query", "ms", f"at most {state.settings.max_ms:g} (BGBENCH_MAX_MS)", ms
        )
    return Job(workload, ms, rid, state.work[workload])


JobParams = Annotated[Job, Depends(job)]


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
