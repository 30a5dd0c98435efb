"""`celery -A target_app.queue.worker worker`: runs the target app's workloads, with settings
from the same BGBENCH_* environment as the app, and reports every start and end."""

from __future__ import annotations

from functools import cache
from typing import Any

from target_app.queue import events
from target_app.queue.celery_app import TASK_NAME, create_celery
from target_app.settings import Settings, Workload
from target_app.workloads.cpu import burn
from target_app.workloads.db import DbWork
from target_app.workloads.http import HttpWork
from target_app.workloads.sleep import SleepWork

settings = Settings()
app = create_celery(settings)


@cache
def _db() -> DbWork:
    # Made on first use, in the worker process that uses it (never shared across a fork).
    db = DbWork(settings.resolved_database_url, pool_size=1)
    db.create_schema()
    return db


@cache
def _http(api_url: str) -> HttpWork:
    return HttpWork(api_url, settings.http_timeout_s)


def _run(workload: str, ms: float, iterations: int, api_url: str) -> Any:
    if workload == Workload.CPU:
        return burn(iterations)  # calibrated by the app, so every strategy does equal work
    if workload == Workload.DB:
        return _db().run_sync(ms)
    if workload == Workload.HTTP:
        return _http(api_url).run_sync(ms)
    return SleepWork().run_sync(ms)


@app.task(name=TASK_NAME)
def run_workload(
    task_id: str, workload: str, ms: float, iterations: int, events_key: str, api_url: str
) -> None:
    events.report(settings.broker_url, events_key, task_id, events.STARTED)
    try:
        result = _run(workload, ms, iterations, api_url)
    except Exception as exc:
        events.report(
            settings.broker_url,
            events_key,
            task_id,
            events.FAILED,
            error=f"{type(exc).__name__}: {exc}",
        )
        return
    events.report(settings.broker_url, events_key, task_id, events.DONE, result=result)
