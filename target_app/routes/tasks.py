"""One task's story: when it was queued, started and finished, and how it ended."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from bgbench.ledger import TaskStatus
from target_app.answers import detailed
from target_app.state import State

router = APIRouter(tags=["observability"])


class TaskView(BaseModel):
    id: str
    key: str
    request_id: str
    status: TaskStatus
    enqueued_at: float
    started_at: float | None
    finished_at: float | None
    result: Any
    error: str | None
    attempts: int


@router.get(
    "/tasks/{task_id}",
    response_model=TaskView,
    responses=detailed(
        404,
        "No such task: never enqueued in this process, or older than the last "
        "BGBENCH_LEDGER_RETAIN finished tasks",
    ),
)
async def get_task(task_id: str, state: State) -> dict[str, Any]:
    record = state.ledger.get(task_id)
    if record is None:
        raise HTTPException(
            404,
            f"no task {task_id!r}: never enqueued in this process, or older than the last "
            f"{state.settings.ledger_retain} finished tasks (BGBENCH_LEDGER_RETAIN)",
        )
    return record.as_json()
