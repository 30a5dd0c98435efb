"""The same task as the guide's middleware, from a pure ASGI middleware: no
BaseHTTPMiddleware in the way of every request (no extra task group, no streaming wrapper
around the response). The task runs once the wrapped app has finished, i.e. after the
response and after the endpoint's own background tasks."""

from __future__ import annotations

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from target_app.middleware import is_tracked
from target_app.request_id import REQUEST_ID_HEADER
from target_app.state import AppState
from target_app.tracking import run_tracked

_HEADER = REQUEST_ID_HEADER.lower().encode("latin-1")


class BackgroundTaskMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_tracked(scope["path"]):
            await self.app(scope, receive, send)
            return
        state: AppState = scope["app"].state.bgbench
        settings = state.settings
        key = f"middleware_asgi/{settings.middleware_workload.value}"
        task_ids: list[str] = []

        async def send_and_enqueue(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers", []))
                rid = headers.get(_HEADER, b"-").decode("latin-1")
                task_ids.append(state.ledger.enqueue(key, rid))
            await send(message)

        try:
            await self.app(scope, receive, send_and_enqueue)
        finally:
            # Once the response has started, the task is owed even if an endpoint's own
            # background task raised afterwards (the exception then goes on to uvicorn).
            if task_ids:
                work = state.work[settings.middleware_workload]
                run = partial(work.run_sync, settings.middleware_ms)
                await run_in_threadpool(run_tracked, state.ledger, task_ids[0], run)
