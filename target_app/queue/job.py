"""The one job every queue library carries, and how a worker runs it: the workload the app
asked for, reported to the app as it starts and ends (see events.py), so that every library
shows queue wait and completion lag on the same server clock."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from target_app.queue import events
from target_app.settings import Settings, Workload
from target_app.workloads.cpu import burn
from target_app.workloads.db import DbWork
from target_app.workloads.http import HttpWork
from target_app.workloads.sleep import SleepWork


@dataclass(frozen=True, slots=True)
class QueuedJob:
    task_id: str  # the ledger's id, and the library's own job id where it takes one
    workload: str
    ms: float
    iterations: int  # the cpu workload's size, calibrated by the app: equal work everywhere
    events_key: str  # where the app that sent it reads its events
    api_url: str  # the http workload's external API

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _failure(exc: Exception) -> str:
    return f"{type(exc).__name__}: {exc}"


class JobRunner:
    """A worker process's side: its settings (the same BGBENCH_* environment as the app) and
    the clients its jobs share, made on first use in the process that uses them (never shared
    across a fork)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.reporter = events.Reporter(settings.events_url)
        self.async_reporter = events.AsyncReporter(settings.events_url)
        self._db_work: DbWork | None = None
        self._http_work: dict[str, HttpWork] = {}

    def _db(self) -> DbWork:
        if self._db_work is None:
            self._db_work = DbWork(
                self.settings.resolved_database_url, pool_size=self.settings.queue_concurrency
            )
            self._db_work.create_schema()
        return self._db_work

    def _http(self, api_url: str) -> HttpWork:
        if api_url not in self._http_work:
            self._http_work[api_url] = HttpWork(api_url, self.settings.http_timeout_s)
        return self._http_work[api_url]

    def run_sync(self, job: QueuedJob) -> None:
        """For libraries that run jobs in threads or processes."""
        self.reporter.report(job.events_key, job.task_id, events.STARTED)
        try:
            if job.workload == Workload.CPU:
                result: Any = burn(job.iterations)
            elif job.workload == Workload.DB:
                result = self._db().run_sync(job.ms)
            elif job.workload == Workload.HTTP:
                result = self._http(job.api_url).run_sync(job.ms)
            else:
                SleepWork().run_sync(job.ms)
                result = None
        except Exception as exc:
            self.reporter.report(job.events_key, job.task_id, events.FAILED, error=_failure(exc))
            return
        self.reporter.report(job.events_key, job.task_id, events.DONE, result=result)

    async def run_async(self, job: QueuedJob) -> None:
        """For asyncio libraries: the async form of each workload, as an async job would be
        written (the cpu one still holds the loop: there is no async form of CPU work)."""
        reporter = self.async_reporter
        await reporter.report(job.events_key, job.task_id, events.STARTED)
        try:
            if job.workload == Workload.CPU:
                result: Any = burn(job.iterations)
            elif job.workload == Workload.DB:
                result = await self._db().run_async(job.ms)
            elif job.workload == Workload.HTTP:
                result = await self._http(job.api_url).run_async(job.ms)
            else:
                await SleepWork().run_async(job.ms)
                result = None
        except Exception as exc:
            await reporter.report(job.events_key, job.task_id, events.FAILED, error=_failure(exc))
            return
        await reporter.report(job.events_key, job.task_id, events.DONE, result=result)


@cache
def runner() -> JobRunner:
    """The worker process's runner, with the settings of its environment."""
    return JobRunner(Settings())
