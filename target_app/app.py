"""`create_app(settings)`: the system under test, assembled from its strategies and routes."""

from __future__ import annotations

import logging

from fastapi import FastAPI

from target_app.lifespan import lifespan
from target_app.middleware import asgi, guide
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
    app = FastAPI(title="bgbench target app", description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    for module in (basics, inline, background, chained, failing, executor, process_pool, queue):
        app.include_router(module.router)
    for module in (email, upload, tasks, metrics):
        app.include_router(module.router)
    if settings.middleware is MiddlewareMode.BASE:
        guide.install(app)
    elif settings.middleware is MiddlewareMode.ASGI:
        app.add_middleware(asgi.BackgroundTaskMiddleware)
    return app
