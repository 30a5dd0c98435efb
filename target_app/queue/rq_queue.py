"""RQ, over Redis: `rq worker-pool --num-workers N --worker-class
target_app.queue.rq_queue.PreloadedWorker` runs the jobs in N worker processes, each of which
forks a work horse for every job (RQ's default worker). The worker class is RQ's own, named
from this module so that the worker imports the job's code once and every fork inherits it, as
RQ's docs advise: otherwise each work horse imports the app afresh, which took about a second a
job here.

At most once on a crash: RQ takes a job off the queue when a worker starts it. A worker killed
mid-job leaves it in the started registry, and RQ later moves it to the failed registry as
abandoned; it does not run it again.
"""

from __future__ import annotations

import sys

import redis
from rq import Queue, Worker
from rq.registry import FailedJobRegistry, StartedJobRegistry
from starlette.concurrency import run_in_threadpool

from bgbench.queues import QUEUES
from target_app.queue.job import QueuedJob, runner
from target_app.queue.library import QueueLibrary
from target_app.settings import Settings


def run_workload(job: dict[str, object]) -> None:
    runner().run_sync(QueuedJob(**job))  # type: ignore[arg-type]


class PreloadedWorker(Worker):
    """RQ's worker, unchanged: importing it from here is what preloads the job's code."""


class Library(QueueLibrary):
    facts = QUEUES["rq"]
    ready_line = "*** Listening on"  # once per worker process of the pool

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.redis = redis.Redis.from_url(self.broker_url, socket_timeout=10)
        self.rq = Queue(self.queue, connection=self.redis)

    async def open(self) -> None:
        try:
            await run_in_threadpool(self.redis.ping)
        except (redis.RedisError, OSError) as exc:
            raise self.unavailable(exc) from exc

    async def send(self, job: QueuedJob) -> None:
        try:
            # A blocking round trip to Redis: off the event loop.
            await run_in_threadpool(
                self.rq.enqueue_call,
                run_workload,
                args=(job.to_json(),),
                job_id=job.task_id,
                result_ttl=0,  # results travel back over the events list
            )
        except (redis.RedisError, OSError) as exc:
            raise self.unavailable(exc) from exc

    async def close(self) -> None:
        self.redis.close()

    def ready_lines(self) -> int:
        return self.settings.queue_concurrency

    def worker_command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "rq.cli", "worker-pool", "--url", self.broker_url),
            *("--worker-class", f"{__name__}.PreloadedWorker"),
            *("--num-workers", str(self.settings.queue_concurrency), self.queue),
        ]

    def purge(self) -> None:
        self.rq.empty()  # type: ignore[no-untyped-call]
        for registry in (StartedJobRegistry, FailedJobRegistry):
            for job_id in registry(self.queue, connection=self.redis).get_job_ids():
                self.redis.delete(f"rq:job:{job_id}")
            self.redis.delete(registry(self.queue, connection=self.redis).key)
        self.rq.delete(delete_jobs=True)

    def held(self) -> int:
        # RQ takes a job off its list to run it, into the started registry, where a job whose
        # worker was stopped (or killed) stays: the two hold the cell's unfinished jobs.
        started = StartedJobRegistry(self.queue, connection=self.redis)
        count: int = self.rq.count + started.count
        return count
