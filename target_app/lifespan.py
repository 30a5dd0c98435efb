"""Start-up and shutdown: every resource the strategies and workloads share."""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from typing import TYPE_CHECKING

from anyio import to_thread
from fastapi import FastAPI

from bgbench.ledger import TaskLedger
from target_app import metrics, shutdown
from target_app.mail import SmtpConfig
from target_app.middleware.timing import RequestTimings
from target_app.priority_executor import PriorityBoundedExecutor

if TYPE_CHECKING:
    from target_app.queue.dispatcher import QueueDispatcher
from target_app.services.loop_monitor import LoopMonitor
from target_app.services.smtp_server import EmbeddedSmtpServer
from target_app.services.stub_api import StubApi
from target_app.settings import Settings, Workload
from target_app.state import AppState
from target_app.workloads.cpu import CpuWork, calibrate
from target_app.workloads.db import DbWork
from target_app.workloads.http import HttpWork
from target_app.workloads.sleep import SleepWork

log = logging.getLogger("target_app")


def _pool_ready() -> int:
    return os.getpid()


async def _prewarm(pool: ProcessPoolExecutor, workers: int) -> None:
    # Submitted together, before any process is up, each task makes the pool spawn one more
    # process: all of them start now, not in the middle of a measurement.
    futures = [pool.submit(_pool_ready) for _ in range(workers)]
    await to_thread.run_sync(lambda: [future.result() for future in futures])


def _ignore_sigint() -> None:
    # Ctrl-C in a terminal reaches the whole process group; the pool's children must leave
    # shutdown to the app instead of dying mid-task with a traceback each.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _smtp_config(settings: Settings, server: EmbeddedSmtpServer | None) -> SmtpConfig:
    password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
    return SmtpConfig(
        host=server.host if server else str(settings.smtp_host),
        port=server.port if server else settings.smtp_port,
        timeout_s=settings.smtp_timeout_s,
        sender=settings.email_sender,
        user=settings.smtp_user,
        password=password,
        starttls=settings.smtp_starttls,
    )


async def _database(settings: Settings, stack: AsyncExitStack) -> DbWork:
    db = DbWork(settings.resolved_database_url, settings.db_pool_size)
    stack.push_async_callback(db.dispose)
    try:
        await to_thread.run_sync(db.create_schema)
    except Exception as exc:
        safe_url = db.engine.url.render_as_string(hide_password=True)
        raise RuntimeError(
            f"cannot use the database at {safe_url} ({exc.__class__.__name__}: {exc}); "
            "check BGBENCH_DATABASE_URL, or unset it to use a SQLite file"
        ) from exc
    return db


async def _queue(
    settings: Settings, api_url: str, ledger: TaskLedger, stack: AsyncExitStack
) -> QueueDispatcher | None:
    if not settings.queue_enabled:
        return None
    # Imported here: a queue library loads only when the queue strategy is on.
    from target_app.queue.dispatcher import QueueDispatcher  # noqa: PLC0415

    dispatcher = QueueDispatcher(settings, api_url)
    await dispatcher.start(ledger)
    stack.push_async_callback(dispatcher.stop)
    return dispatcher


async def _build(
    settings: Settings, request_timings: RequestTimings, stack: AsyncExitStack
) -> AppState:
    to_thread.current_default_thread_limiter().total_tokens = settings.threadpool_tokens
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.resolved_upload_dir.mkdir(parents=True, exist_ok=True)

    if settings.external_api_url:
        api_url = settings.external_api_url
    else:
        stub = StubApi()
        stub.start()
        stack.callback(stub.stop)
        api_url = stub.url
    http = HttpWork(api_url, settings.http_timeout_s)
    stack.push_async_callback(http.close)

    smtp_server = None
    if not settings.smtp_host:
        smtp_server = EmbeddedSmtpServer()
        smtp_server.start()
        stack.callback(smtp_server.stop)

    # A sweep passes the first cell's calibration to the rest, so every cell's cpu work is
    # the same amount of work (calibration moves by a few per cent from start to start).
    cpu = CpuWork(settings.cpu_iterations_per_ms or await to_thread.run_sync(calibrate))
    executor = PriorityBoundedExecutor(
        settings.executor_max_workers, settings.executor_queue_limit, name="bgbench-executor"
    )
    process_pool = ProcessPoolExecutor(
        settings.process_pool_workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_ignore_sigint,
    )
    if settings.process_pool_prewarm:
        await _prewarm(process_pool, settings.process_pool_workers)
    loop_monitor = LoopMonitor(settings.loop_monitor_interval_s)
    loop_monitor.start()
    stack.push_async_callback(loop_monitor.stop)
    ledger = TaskLedger(settings.ledger_retain)
    return AppState(
        settings=settings,
        queue=await _queue(settings, api_url, ledger, stack),
        ledger=ledger,
        executor=executor,
        process_pool=process_pool,
        work={
            Workload.SLEEP: SleepWork(),
            Workload.CPU: cpu,
            Workload.DB: await _database(settings, stack),
            Workload.HTTP: http,
        },
        cpu=cpu,
        smtp=_smtp_config(settings, smtp_server),
        smtp_server=smtp_server,
        loop_monitor=loop_monitor,
        request_timings=request_timings,
    )


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    async with AsyncExitStack() as stack:
        # The timings belong to the app, not to a lifespan: its middleware holds them.
        state = await _build(settings, app.state.request_timings, stack)
        app.state.bgbench = state
        log.info(
            "ready: executor max_workers=%d queue_limit=%d, middleware=%s, smtp=%s:%d",
            settings.executor_max_workers,
            settings.executor_queue_limit,
            settings.middleware.value,
            state.smtp.host,
            state.smtp.port,
        )
        yield
        # Drain before the stack closes the pools and clients the tasks still use.
        state.shutdown_report = await shutdown.drain(state)
        if settings.final_metrics_path is not None:
            shutdown.write_final_metrics(state, settings.final_metrics_path, metrics.gauges(state))
