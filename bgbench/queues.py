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
    # What a worker SIGKILLed mid-task does to that task, with the settings bgbench uses.
    on_worker_kill: str

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
            "redelivered (acks late, rejected on worker loss)",
        ),
        QueueFacts(
            "arq",
            "arq_queue",
            (Broker.REDIS,),
            "async jobs in one process (max_jobs)",
            "async",
            "run again once its expiry passes (arq keeps the job until it ends)",
        ),
    )
}

# `queue` is Celery's first name, kept so that sweep files and results that use it still work.
ALIASES = {"queue": "celery"}


def facts(strategy: str) -> QueueFacts | None:
    """The queue a strategy name stands for; None for the in-process strategies."""
    return QUEUES.get(ALIASES.get(strategy, strategy))
