"""procrastinate, over PostgreSQL: `procrastinate --app target_app.queue.procrastinate_queue.app
worker --concurrency N` runs the jobs as asyncio tasks in one process, at most N at once; a
job is a row, taken with SELECT … FOR UPDATE SKIP LOCKED and announced by LISTEN/NOTIFY.

At most once on a crash, unless the user retries stalled jobs: a worker killed mid-job leaves
its row in `doing`; procrastinate finds such jobs (App.job_manager.get_stalled_jobs, by the
dead worker's missing heartbeats) but runs them again only when the user's own code retries
them, which bgbench does not do. The app applies procrastinate's schema to an empty database.
"""

from __future__ import annotations

import hashlib
import sys
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector
from procrastinate.exceptions import ConnectorException

from bgbench.queues import QUEUES
from target_app.queue.job import QueuedJob, runner
from target_app.queue.library import QueueLibrary
from target_app.settings import Settings

TASK_NAME = "bgbench.run_workload"


def _short(queue: str) -> str:
    """A queue name that fits PostgreSQL's 63-byte NOTIFY channel after procrastinate's prefix
    (`procrastinate_queue_v1#`, 23 bytes)."""
    if len(queue) <= 40:
        return queue
    return "bgbench-" + hashlib.sha1(queue.encode(), usedforsecurity=False).hexdigest()[:24]


class Library(QueueLibrary):
    facts = QUEUES["procrastinate"]
    ready_line = "Starting worker on"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.queue = _short(settings.queue_name)

    async def open(self) -> None:
        try:
            # First a connection of our own: procrastinate's pool would retry for ever.
            connect = psycopg.AsyncConnection.connect(self.broker_url, connect_timeout=5)
            async with await connect as connection:
                found = await connection.execute("SELECT to_regclass('procrastinate_jobs')")
                row = await found.fetchone()
            await app.open_async()
            if row is None or row[0] is None:
                await app.schema_manager.apply_schema_async()
        except (psycopg.Error, OSError) as exc:
            raise self.unavailable(exc) from exc

    async def send(self, job: QueuedJob) -> None:
        try:
            await run_workload.configure(queue=self.queue).defer_async(job=job.to_json())
        except (ConnectorException, psycopg.Error, OSError) as exc:
            raise self.unavailable(exc) from exc

    async def close(self) -> None:
        await app.close_async()

    def worker_command(self) -> list[str]:
        return [
            *(sys.executable, "-m", "procrastinate", "--log-level", "info"),
            *("--app", f"{__name__}.app", "worker"),
            *("--concurrency", str(self.settings.queue_concurrency), "--queues", self.queue),
        ]

    def purge(self) -> None:
        with psycopg.connect(self.broker_url) as connection:
            connection.execute("DELETE FROM procrastinate_jobs WHERE queue_name = %s", [self.queue])

    def held(self) -> int:
        with psycopg.connect(self.broker_url) as connection:
            row = connection.execute(
                "SELECT count(*) FROM procrastinate_jobs WHERE queue_name = %s"
                " AND status IN ('todo', 'doing')",
                [self.queue],
            ).fetchone()
        return int(row[0]) if row else 0


# Both sides: the app defers through it, and `procrastinate worker` runs its task.
app = App(connector=PsycopgConnector(conninfo=Settings().broker_url))


@app.task(name=TASK_NAME, queue="bgbench")
async def run_workload(job: dict[str, Any]) -> None:
    await runner().run_async(QueuedJob(**job))
