"""The task queues bgbench measures, named once for the app, the sweep and the reports: which
brokers each runs over, what its concurrency knob counts, and what it promises. Importing this
imports no queue library: a machine without them still reads results and builds reports."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal


class Broker(StrEnum):
    REDIS = "redis"
    RABBITMQ = "rabbitmq"
    POSTGRES = "postgres"


# What one unit of the knob is, for the capacity model: CPU work in Python runs one at a time
# per process, so only `processes` scale it past one core.
Slots = Literal["processes", "threads", "async"]


@dataclass(frozen=True)
class QueueFacts:
    name: str  # the strategy's name, and `queue_library` in the app's settings
    module: str  # target_app.queue.<module>: the app's and the worker's side
    brokers: tuple[Broker, ...]  # the first is the default
    concurrency_is: str  # what the cell's `workers` sets, in words (also in cell.json)
    slots: Slots
    # What a worker SIGKILLed mid-task does to that task, with the settings bgbench uses
    # (tests/target_app/test_queue.py holds each library to it).
    redelivers: bool
    on_worker_kill: str  # why it does, or does not

    @property
    def default_broker(self) -> Broker:
        return self.brokers[0]


QUEUES: dict[str, QueueFacts] = {
    q.name: q
    for q in (
        QueueFacts(
            "celery",
            "celery_queue",
            (Broker.REDIS, Broker.RABBITMQ),
            "prefork processes (--concurrency)",
            "processes",
            True,
            "acks late, and rejected when its worker is lost",
        ),
        QueueFacts(
            "arq",
            "arq_queue",
            (Broker.REDIS,),
            "async jobs in one process (max_jobs)",
            "async",
            True,
            "arq keeps a job until it ends; taken again once its in-progress mark expires",
        ),
        QueueFacts(
            "dramatiq",
            "dramatiq_queue",
            (Broker.REDIS, Broker.RABBITMQ),
            "threads in one process (--threads)",
            "threads",
            True,
            "acked after the actor returns",
        ),
        QueueFacts(
            "rq",
            "rq_queue",
            (Broker.REDIS,),
            "worker processes (worker-pool --num-workers)",
            "processes",
            False,
            "RQ moves it to the failed registry as abandoned",
        ),
        QueueFacts(
            "taskiq",
            "taskiq_queue",
            (Broker.REDIS, Broker.RABBITMQ),
            "async tasks in one process (--max-async-tasks)",
            "async",
            True,
            "acked after it ran; over Redis, a stream message claimed once idle",
        ),
        QueueFacts(
            "procrastinate",
            "procrastinate_queue",
            (Broker.POSTGRES,),
            "async jobs in one process (--concurrency)",
            "async",
            False,
            "its row stays `doing` until the user's own code retries stalled jobs",
        ),
    )
}

# `queue` is Celery's first name, kept so that sweep files and results that use it still work.
ALIASES = {"queue": "celery"}


def facts(strategy: str) -> QueueFacts | None:
    """The queue a strategy name stands for; None for the in-process strategies."""
    return QUEUES.get(ALIASES.get(strategy, strategy))


def guarantees_markdown() -> str:
    """The README's table of what each library does with a task whose worker is killed, one
    row per library and broker (tests/test_readme.py checks the README against it)."""
    rows = ["| library | broker | workers = | the killed task |", "| --- | --- | --- | --- |"]
    for q in QUEUES.values():
        outcome = "runs again" if q.redelivers else "**not run again**"
        what = f"{q.concurrency_is} | {outcome}: {q.on_worker_kill}"
        rows.extend(f"| {q.name} | {broker.value} | {what} |" for broker in q.brokers)
    return "\n".join(rows)
