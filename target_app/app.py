"""`create_app(settings)`: the system under test, assembled from its strategies and routes."""

from __future__ import annotations

import logging

from fastapi import APIRouter, FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.types import ASGIApp

from target_app.answers import validation_failed
from target_app.flat_routes import include_flat
from target_app.lifespan import lifespan
from target_app.middleware import asgi, guide
from target_app.middleware.timing import RequestTimer, RequestTimings
from target_app.openapi import state_settings_bounds
from target_app.routes import basics, email, metrics, tasks, upload
from target_app.settings import MiddlewareMode, Settings
from target_app.strategies import (
    background,
    chained,
    executor,
    failing,
    inline,
    process_pool,
    queue,
)

DESCRIPTION = """
Every common way of running work after a FastAPI response, instrumented on both clocks.
Dispatch routes take `workload` (sleep, cpu, db, http) and `ms`, answer at once with the ids
of the tasks they queued, and set `X-Request-ID`; `/tasks/{id}` and `/metrics` tell what
happened to the work afterwards.
"""


# Every route of the app, in the order a request is matched against them.
ROUTERS: tuple[APIRouter, ...] = (
    basics.router,
    inline.router,
    background.router,
    chained.router,
    failing.router,
    executor.router,
    process_pool.router,
    queue.router,
    email.router,
    upload.router,
    tasks.router,
    metrics.router,
)


class _TimedApp(FastAPI):
    """FastAPI with the request timer around its whole middleware stack, Starlette's
    ServerErrorMiddleware included, so that a 500 it renders is timed too."""

    def build_middleware_stack(self) -> ASGIApp:
        # Built at the first call (the lifespan's), when every route is in place.
        timings: RequestTimings = self.state.request_timings
        return RequestTimer(super().build_middleware_stack(), timings, _static_paths(self))


def _static_paths(app: FastAPI) -> list[str]:
    # A path with parameters is no key: its values would make the keys unbounded.
    paths = (getattr(route, "path", None) for route in app.routes)
    return [path for path in paths if isinstance(path, str) and "{" not in path]


def _configure_logging() -> None:
    # uvicorn configures only its own loggers; give ours a handler once, so task failures
    # and the shutdown report reach the server log with their request ids.
    logger = logging.getLogger("target_app")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings if settings is not None else Settings()
    _configure_logging()
    app = _TimedApp(title="bgbench target app", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.request_timings = RequestTimings()
    app.add_exception_handler(RequestValidationError, validation_failed)
    for router in ROUTERS:
        include_flat(app, router)
    state_settings_bounds(app, settings)
    if settings.middleware is MiddlewareMode.BASE:
        guide.install(app)
    elif settings.middleware is MiddlewareMode.ASGI:
        app.add_middleware(asgi.BackgroundTaskMiddleware)
    return app
