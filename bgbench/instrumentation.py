"""`bgbench.instrument(app)`: the server's clock on any FastAPI (or Starlette) app.

One call wraps the app in an ASGI middleware and hooks Starlette's `BackgroundTask`, so that
every background task a request schedules — through FastAPI's `BackgroundTasks`, a response's
`background`, or a middleware that attaches one — is recorded in a task ledger at enqueue,
start and finish, keyed `<route>/<function>` (`/signup/send_welcome`). The app's metrics are
served under a prefix of their own (`/_bgbench/metrics`, `/_bgbench/metrics/window`,
`/_bgbench/metrics?format=prometheus`), which the app never sees and the ledger never counts.

It changes nothing the app does: the tasks run in the same order, on the same threads, and
an exception a task raises goes on to Starlette exactly as before (which then runs none of
that request's later tasks: those are recorded as not run, with why).
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from bgbench.ledger import TaskLedger, TaskStatus, totals
from bgbench.prometheus import prometheus_text

PREFIX = "/_bgbench"
LEDGER_ATTR = "bgbench_ledger"  # app.state.<this>: the ledger, for the app's own use


@dataclass(slots=True)
class _Request:
    """One request's part: its ledger, its scope (the route is in it once routed) and the
    tasks it scheduled, to tell the ones Starlette skipped after a failure."""

    ledger: TaskLedger
    scope: Scope
    request_id: str
    task_ids: list[str] = field(default_factory=list)


_NOT_RUN = "not run: its request ended first (a task before it, or the endpoint, raised)"
_CURRENT: ContextVar[_Request | None] = ContextVar("bgbench_request", default=None)


def _name(func: Callable[..., Any]) -> str:
    while isinstance(func, functools.partial):
        func = func.func
    return getattr(func, "__name__", type(func).__name__)


def _route(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unrouted>"


# Starlette's own, kept to call through: the hook records around them and changes nothing.
_starlette_init = BackgroundTask.__init__
_starlette_call = BackgroundTask.__call__


def _init(self: BackgroundTask, func: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
    _starlette_init(self, func, *args, **kwargs)
    request = _CURRENT.get()
    if request is None:  # made outside an instrumented request: not ours to count
        return
    task_id = request.ledger.enqueue(f"{_route(request.scope)}/{_name(func)}", request.request_id)
    request.task_ids.append(task_id)
    self.__dict__["_bgbench"] = (request.ledger, task_id)


async def _call(self: BackgroundTask) -> None:
    recorded: tuple[TaskLedger, str] | None = self.__dict__.get("_bgbench")
    if recorded is None:
        await _starlette_call(self)
        return
    ledger, task_id = recorded
    ledger.start(task_id)
    try:
        await _starlette_call(self)
    except BaseException as exc:  # cancelled at shutdown too: it did not finish
        ledger.fail(task_id, f"{type(exc).__name__}: {exc}")
        raise
    ledger.finish(task_id)


def _hook_background_tasks() -> None:
    """Once per process, whatever the number of apps: every BackgroundTask goes through the
    hook, which records only those made inside an instrumented request."""
    if BackgroundTask.__init__ is not _init:
        BackgroundTask.__init__ = _init  # type: ignore[method-assign]
        BackgroundTask.__call__ = _call  # type: ignore[method-assign]


class Instrumented:
    """The ASGI middleware: a request context for the hook, and the metrics routes."""

    def __init__(self, app: ASGIApp, ledger: TaskLedger, prefix: str = PREFIX) -> None:
        self.app, self.ledger, self.prefix = app, ledger, prefix.rstrip("/")
        self.started_at = time.time()
        self._requests = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path == self.prefix or path.startswith(self.prefix + "/"):
            await self._metrics(scope, receive, send, path.removeprefix(self.prefix))
            return
        self._requests += 1
        request = _Request(self.ledger, scope, f"r{self._requests}")
        token = _CURRENT.set(request)
        try:
            await self.app(scope, receive, send)
        finally:
            _CURRENT.reset(token)
            # The app call is over, its tasks with it: one still queued never will run
            # (Starlette runs none after a task that raised, nor any if the endpoint did).
            for task_id in request.task_ids:
                if self.ledger.status_of(task_id) is TaskStatus.QUEUED:
                    self.ledger.skip(task_id, _NOT_RUN)

    def snapshot(self) -> dict[str, Any]:
        tasks = self.ledger.summary()
        return {
            "tasks": tasks,
            "totals": totals(tasks),
            "gauges": {"in_flight": self.ledger.in_flight},
            "redelivered": self.ledger.redelivered,
            "process": {
                "pid": os.getpid(),
                "started_at": self.started_at,
                "uptime_s": round(time.time() - self.started_at, 3),
            },
        }

    async def _metrics(self, scope: Scope, receive: Receive, send: Send, route: str) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        response: Response
        if route == "/metrics" and query.get("format") == ["prometheus"]:
            response = Response(prometheus_text(self.snapshot()), media_type=CONTENT_TYPE_LATEST)
        elif route == "/metrics":
            response = JSONResponse(self.snapshot())
        elif route == "/metrics/window":
            response = JSONResponse(self.ledger.take_window())
        else:
            known = f"{self.prefix}/metrics, {self.prefix}/metrics/window"
            response = PlainTextResponse(f"bgbench serves {known}\n", status_code=404)
        await response(scope, receive, send)


def instrument(app: Any, prefix: str = PREFIX) -> TaskLedger:
    """Record every background task `app` schedules, and serve its metrics under `prefix`.
    Call it once, after the app's own `add_middleware` calls (a middleware added later wraps
    this one, and the tasks it attaches are not seen) and before it serves; returns the
    ledger (also `app.state.bgbench_ledger`)."""
    if getattr(app.state, LEDGER_ATTR, None) is not None:
        raise RuntimeError(f"{app!r} is instrumented already: call bgbench.instrument once")
    _hook_background_tasks()
    ledger = TaskLedger()
    app.add_middleware(Instrumented, ledger=ledger, prefix=prefix)
    setattr(app.state, LEDGER_ATTR, ledger)
    return ledger
