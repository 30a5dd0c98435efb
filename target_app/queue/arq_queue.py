"""arq, over Redis: `python -m arq target_app.queue.arq_queue.WorkerSettings` runs the jobs as
asyncio tasks in one process, at most BGBENCH_QUEUE_CONCURRENCY at once (arq's max_jobs).

At least once: a job stays in arq's queue until it ends, so a worker killed mid-job leaves it
there, and another worker runs it again once its in-progress mark expires — arq's job
timeout plus 10 s (the job timeout is BGBENCH_QUEUE_VISIBILITY_TIMEOUT_S here).
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

import redis
from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.constants import in_progress_key_prefix, job_key_prefix, retry_key_prefix

from bgbench.queues import QUEUES
from target_app.queue.job import QueuedJob, runner
from target_app.queue.library import QueueLibrary
from target_app.settings import Settings

JOB_NAME = "run_workload"


def _redis_settings(settings: Settings) -> RedisSettings:
    redis_settings = RedisSettings.from_dsn(settings.broker_url)
    redis_settings.conn_retries = 0  # an absent broker is said at once, not after 5 tries
    return redis_settings


class Library(QueueLibrary):
    facts = QUEUES["arq"]
    ready_line = "redis_version="  # logged once the worker's pool is up, before it polls

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.pool: ArqRedis | None = None

    async def open(self) -> None:
        try:
            self.pool = await create_pool(_redis_settings(self.settings))
        except (redis.RedisError, OSError) as exc:
            raise self.unavailable(exc) from exc

    async def send(self, job: QueuedJob) -> None:
        assert self.pool is not None, "open() first"
        try:
            await self.pool.enqueue_job(
                JOB_NAME, job.to_json(), _job_id=job.task_id, _queue_name=self.queue
            )
        except (redis.RedisError, OSError) as exc:
            raise self.unavailable(exc) from exc

    async def close(self) -> None:
        if self.pool is not None:
            await self.pool.aclose()

    def worker_command(self) -> list[str]:
        return [sys.executable, "-m", "arq", f"{__name__}.WorkerSettings"]

    def purge(self) -> None:
        client = redis.Redis.from_url(self.broker_url, socket_timeout=5)
        ids = [i.decode() for i in client.zrange(self.queue, 0, -1)]
        prefixes = (job_key_prefix, in_progress_key_prefix, retry_key_prefix)
        client.delete(self.queue, *(p + i for p in prefixes for i in ids))

    def held(self) -> int:
        # arq keeps a job in the queue's sorted set until it ends, running or not.
        count: int = redis.Redis.from_url(self.broker_url, socket_timeout=5).zcard(self.queue)
        return count


async def run_workload(ctx: dict[str, Any], job: dict[str, Any]) -> None:
    await runner().run_async(QueuedJob(**job))


_settings = Settings()


class WorkerSettings:
    """What `arq` reads: the cell's queue and broker, from the BGBENCH_* environment."""

    functions: ClassVar = [run_workload]
    queue_name = _settings.queue_name
    redis_settings = _redis_settings(_settings)
    max_jobs = _settings.queue_concurrency
    job_timeout = _settings.queue_visibility_timeout_s
    keep_result = 0  # results travel back over the events list, not arq's result keys
    retry_jobs = False  # a job that raises is failed, not retried: the counts stay honest
    # On SIGTERM arq cancels its running jobs by default, and with retries off drops them:
    # measured, a deploy's stop lost the task it was running (test_queue_faults, worker_stop).
    # Given this, it stops taking jobs and lets the running ones end first, for as long as a
    # job may run (whoever stops it may kill it sooner: the sweep, after its drain timeout).
    job_completion_wait = job_timeout
    # arq polls its queue; its 0.5 s default would add up to half a second of queue wait to
    # every job, which a latency-minded user tunes down.
    poll_delay = 0.05
