"""The guide's pattern: an `@app.middleware("http")` function (BaseHTTPMiddleware underneath)
that attaches a background task to every response:

    @app.middleware("http")
    async def add_audit_task(request: Request, call_next):
        response = await call_next(request)
        response.background = BackgroundTask(write_audit_log, request.url.path)
        return response
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from fastapi import FastAPI, Request, Response
from starlette.background import BackgroundTask

from target_app.middleware import is_tracked
from target_app.request_id import REQUEST_ID_HEADER
from target_app.state import AppState
from target_app.tracking import run_tracked


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def attach_background_task(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        if is_tracked(request.url.path):
            state: AppState = request.app.state.bgbench
            settings = state.settings
            work = state.work[settings.middleware_workload]
            rid = response.headers.get(REQUEST_ID_HEADER, "-")
            key = f"middleware_base/{settings.middleware_workload.value}"
            task_id = state.ledger.enqueue(key, rid)
            response.background = BackgroundTask(
                run_tracked, state.ledger, task_id, partial(work.run_sync, settings.middleware_ms)
            )
        return response
