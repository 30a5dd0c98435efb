"""The target app's HTTP contract, checked on every response.

A check returns None when the answer is what the contract promises, else a short reason that
Locust shows as the failure. Reasons name no ids or timings, so Locust's failure table groups
them: a full executor queue (503 + Retry-After) reads differently from a broken body.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from loadtests.support.http1 import Reply


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any  # the parsed JSON, or None
    retry_after: str | None = None
    error: str | None = None  # no HTTP answer at all: the exception's type

    @classmethod
    def of(cls, reply: Reply) -> Answer:
        try:
            body = json.loads(reply.body or b"null")
        except ValueError:
            body = None
        return cls(reply.status_code, body, reply.headers.get("retry-after"))

    @classmethod
    def failed(cls, error: BaseException) -> Answer:
        """No HTTP answer at all: the connection failed, timed out or broke mid-reply."""
        return cls(0, None, error=type(error).__name__)


def _status(answer: Answer, expected: int) -> str | None:
    if answer.error is not None:
        return f"no response ({answer.error})"
    if answer.status == 503 and answer.retry_after is not None:
        return f"503 rejected: queue full (Retry-After: {answer.retry_after})"
    if answer.status != expected:
        return f"status {answer.status}, expected {expected}"
    if not isinstance(answer.body, dict):
        return "body is not a JSON object"
    return None


def _task_ids(body: dict[str, Any], tasks: int) -> str | None:
    ids = body.get("task_ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) and i for i in ids):
        return "task_ids is not a list of ids"
    if len(ids) != tasks:
        return f"{len(ids)} task ids, expected {tasks}"
    return None


def _fields(body: dict[str, Any], expected: dict[str, object]) -> str | None:
    for key, value in expected.items():
        if body.get(key) != value:
            return f"{key} is {body.get(key)!r}, expected {value!r}"
    return None


def hello(answer: Answer) -> str | None:
    """/baseline and /baseline-sync."""
    return _status(answer, 200) or _fields(answer.body, {"message": "Hello World"})


def dispatched(
    answer: Answer, *, strategy: str, workload: str, ms: float, tasks: int
) -> str | None:
    """The dispatch routes: 200 with the ids of the queued tasks, echoing what was asked."""
    return (
        _status(answer, 200)
        or _task_ids(answer.body, tasks)
        or _fields(answer.body, {"strategy": strategy, "workload": workload, "ms": ms})
    )


def accepted(answer: Answer, **expected: object) -> str | None:
    """/send-email and /upload-file: 202 with one task, plus the fields in `expected`."""
    return (
        _status(answer, 202)
        or _task_ids(answer.body, 1)
        or _fields(answer.body, {"task_id": answer.body["task_ids"][0], **expected})
    )
