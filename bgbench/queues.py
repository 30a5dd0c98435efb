"""The task queues bgbench measures, named once for the app, the sweep and the reports: which
brokers each runs over, what its concurrency knob counts, and what it promises. Importing this
imports no queue library: a machine without them still reads results and builds reports."""

from __future__ import annotations

from collections.abc import Iterable
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


class Fault(StrEnum):
    """What the guarantee tests do to a queue (tests/target_app/test_queue_faults.py)."""

    WORKER_KILL = "worker_kill"
    WORKER_STOP = "worker_stop"
    BROKER_RESTART = "broker_restart"
    BROKER_CRASH = "broker_crash"


# Each fault in words, per broker: exactly what the tests do.
_FAULT_WORDS: dict[Fault, dict[Broker, str]] = {
    Fault.WORKER_KILL: dict.fromkeys(Broker, "worker SIGKILLed mid-task, then started again"),
    Fault.WORKER_STOP: dict.fromkeys(
        Broker, "worker stopped (SIGTERM, as a deploy does) mid-task, three queued, then started"
    ),
    Fault.BROKER_RESTART: {
        Broker.REDIS: "Redis restarted (SIGTERM), with AOF and appendfsync always",
        Broker.RABBITMQ: "RabbitMQ restarted (SIGTERM: a clean stop)",
        Broker.POSTGRES: "PostgreSQL restarted (a fast shutdown)",
    },
    Fault.BROKER_CRASH: {
        Broker.REDIS: "Redis SIGKILLed and started again, without persistence (as here)",
        Broker.RABBITMQ: "RabbitMQ SIGKILLed (every process) and started again",
        Broker.POSTGRES: "PostgreSQL SIGKILLed (every server process) and started again",
    },
}

# The tasks of each fault's scenario, on a worker of one slot: the killed worker's one task;
# for the others, one task running, three queued behind it, and one sent after the fault.
SCENARIO_TASKS = {
    Fault.WORKER_KILL: 1,
    Fault.WORKER_STOP: 5,
    Fault.BROKER_RESTART: 5,
    Fault.BROKER_CRASH: 5,
}


def fault_words(fault: Fault, broker: Broker) -> str:
    return _FAULT_WORDS[fault][broker]


@dataclass(frozen=True)
class Outcome:
    """What a fault's scenario ended with, as its test found it: of its tasks, how many
    finished, how many started twice, and how many never finished (lost: gone from the
    broker, or kept where nothing runs them again)."""

    ran: int
    twice: int
    lost: int
    why: str
    # Set where a race decides: it ran twice `twice` to `twice_at_most` times (the why says
    # what it turns on); unset, exactly `twice`.
    twice_at_most: int | None = None

    @property
    def twice_text(self) -> str:
        return (
            f"{self.twice}" if self.twice_at_most is None else f"{self.twice}–{self.twice_at_most}"
        )


def _redelivered(why: str) -> Outcome:
    return Outcome(ran=1, twice=1, lost=0, why=why)


def _abandoned(why: str) -> Outcome:
    return Outcome(ran=0, twice=0, lost=1, why=why)


def _kept(why: str = "the queue was on disk and the worker reconnected") -> Outcome:
    return Outcome(ran=5, twice=0, lost=0, why=why)


def _rabbitmq_twice(twice: int, why: str) -> dict[Fault, Outcome]:
    """Over RabbitMQ (durable queues, persistent messages) a restart, clean or not, keeps
    every message: what a worker held unacked and ran while the broker was down could not be
    acked, so RabbitMQ gave it back and it ran again."""
    ran_again = Outcome(ran=5, twice=twice, lost=0, why=why)
    return {Fault.BROKER_RESTART: ran_again, Fault.BROKER_CRASH: ran_again}


# Redis without persistence starts empty: the three tasks queued behind the running one are
# gone; the running one and the one sent after the restart run.
_STOPPED_WARM = Outcome(
    ran=5,
    twice=0,
    lost=0,
    why="it finished the running task before it exited; the queued ones waited for the next",
)
_REDIS_EMPTIED = Outcome(
    ran=2, twice=0, lost=3, why="the queued tasks went with Redis's memory; the worker reconnected"
)


_PROCRASTINATE_RECONNECTS = (
    "the jobs are rows and the worker's pool reconnected, but not its LISTEN: it finds new "
    "jobs by polling, every 5 s, from then on"
)


@dataclass(frozen=True)
class QueueFacts:
    name: str  # the strategy's name, and `queue_library` in the app's settings
    module: str  # target_app.queue.<module>: the app's and the worker's side
    brokers: tuple[Broker, ...]  # the first is the default
    concurrency_is: str  # what the cell's `workers` sets, in words (also in cell.json)
    slots: Slots
    # What each fault did, with the settings bgbench uses, per broker: the tests in
    # tests/target_app/test_queue_faults.py hold each library to it, and the README's table
    # is made from it.
    outcomes: dict[tuple[Broker, Fault], Outcome]

    @property
    def default_broker(self) -> Broker:
        return self.brokers[0]

    def redelivers(self, broker: Broker) -> bool:
        """Whether a worker SIGKILLed mid-task has its task run again."""
        return self.outcomes[broker, Fault.WORKER_KILL].twice == 1


def _on(broker: Broker, **outcomes: Outcome) -> dict[tuple[Broker, Fault], Outcome]:
    return {(broker, Fault(fault)): outcome for fault, outcome in outcomes.items()}


QUEUES: dict[str, QueueFacts] = {
    q.name: q
    for q in (
        QueueFacts(
            name="celery",
            module="celery_queue",
            brokers=(Broker.REDIS, Broker.RABBITMQ),
            concurrency_is="prefork processes (--concurrency)",
            slots="processes",
            outcomes={
                **_on(
                    Broker.REDIS,
                    worker_kill=_redelivered("acks late, and rejected when its worker is lost"),
                    worker_stop=_STOPPED_WARM,
                    broker_restart=Outcome(
                        ran=5,
                        twice=0,
                        twice_at_most=1,
                        lost=0,
                        why="the queue was on disk; if the worker saw its connection drop while "
                        "the task ran, it gave back every unacked message on reconnecting, the "
                        "running one too, which then ran twice (in 1 of 5 runs here)",
                    ),
                    broker_crash=_REDIS_EMPTIED,
                ),
                **_on(
                    Broker.RABBITMQ,
                    worker_kill=_redelivered("acks late, and rejected when its worker is lost"),
                    worker_stop=_STOPPED_WARM,
                    **_rabbitmq_twice(
                        1, "the running task's late ack failed with the connection: run again"
                    ),
                ),
            },
        ),
        QueueFacts(
            name="arq",
            module="arq_queue",
            brokers=(Broker.REDIS,),
            concurrency_is="async jobs in one process (max_jobs)",
            slots="async",
            outcomes=_on(
                Broker.REDIS,
                worker_kill=_redelivered(
                    "arq keeps a job until it ends; taken again once its in-progress mark expires"
                ),
                worker_stop=Outcome(
                    ran=5,
                    twice=0,
                    lost=0,
                    why="with job_completion_wait, as bgbench sets it: arq's default cancels the "
                    "running job at SIGTERM, and with retries off that lost it (1 of 5 here)",
                ),
                broker_restart=_kept(),
                broker_crash=_REDIS_EMPTIED,
            ),
        ),
        QueueFacts(
            name="dramatiq",
            module="dramatiq_queue",
            brokers=(Broker.REDIS, Broker.RABBITMQ),
            concurrency_is="threads in one process (--threads)",
            slots="threads",
            outcomes={
                **_on(
                    Broker.REDIS,
                    worker_kill=_redelivered("acked after the actor returns"),
                    worker_stop=_STOPPED_WARM,
                    broker_restart=_kept(),
                    broker_crash=Outcome(
                        ran=3,
                        twice=0,
                        lost=2,
                        why="the queued tasks went with Redis's memory, but for the one the "
                        "worker had prefetched",
                    ),
                ),
                **_on(
                    Broker.RABBITMQ,
                    worker_kill=_redelivered("acked after the actor returns"),
                    worker_stop=_STOPPED_WARM,
                    **_rabbitmq_twice(
                        2,
                        "it holds two messages a thread: both ran while RabbitMQ was down, "
                        "their acks failed, and both ran again",
                    ),
                ),
            },
        ),
        QueueFacts(
            name="rq",
            module="rq_queue",
            brokers=(Broker.REDIS,),
            concurrency_is="worker processes (worker-pool --num-workers)",
            slots="processes",
            outcomes=_on(
                Broker.REDIS,
                worker_kill=_abandoned("RQ moves it to the failed registry as abandoned"),
                worker_stop=_STOPPED_WARM,
                broker_restart=_kept(),
                broker_crash=_REDIS_EMPTIED,
            ),
        ),
        QueueFacts(
            name="taskiq",
            module="taskiq_queue",
            brokers=(Broker.REDIS, Broker.RABBITMQ),
            concurrency_is="async tasks in one process (--max-async-tasks)",
            slots="async",
            outcomes={
                **_on(
                    Broker.REDIS,
                    worker_kill=_redelivered("acked after it ran; claimed again once idle"),
                    worker_stop=_STOPPED_WARM,
                    broker_restart=_kept(),
                    broker_crash=Outcome(
                        ran=2,
                        twice=0,
                        lost=3,
                        why="the queued tasks went with Redis's memory; the worker process died "
                        "on the missing consumer group, and taskiq started it again",
                    ),
                ),
                **_on(
                    Broker.RABBITMQ,
                    worker_kill=_redelivered("acked after it ran"),
                    worker_stop=_STOPPED_WARM,
                    **_rabbitmq_twice(
                        4,
                        "aio-pika prefetches up to 10: the four it held ran while RabbitMQ was "
                        "down, their acks failed, and all four ran again; the app's sends are "
                        "refused (503) until its publisher reconnects, 5 s on",
                    ),
                ),
            },
        ),
        QueueFacts(
            name="procrastinate",
            module="procrastinate_queue",
            brokers=(Broker.POSTGRES,),
            concurrency_is="async jobs in one process (--concurrency)",
            slots="async",
            outcomes=_on(
                Broker.POSTGRES,
                worker_kill=_abandoned(
                    "its row stays `doing` until the user's own code retries stalled jobs"
                ),
                worker_stop=_STOPPED_WARM,
                broker_restart=_kept(_PROCRASTINATE_RECONNECTS),
                broker_crash=_kept(_PROCRASTINATE_RECONNECTS),
            ),
        ),
    )
}

# `queue` is Celery's first name, kept so that sweep files and results that use it still work.
ALIASES = {"queue": "celery"}


def facts(strategy: str) -> QueueFacts | None:
    """The queue a strategy name stands for; None for the in-process strategies."""
    return QUEUES.get(ALIASES.get(strategy, strategy))


GUARANTEES_HEADER = ("library", "broker", "fault", "finished", "ran twice", "lost", "why")


def guarantee_rows(
    over: Iterable[tuple[str, Broker]] | None = None,
) -> list[tuple[QueueFacts, Broker, Fault, Outcome]]:
    """What each fault did, one row per library, broker and fault; `over` keeps the rows of
    those (library, broker) pairs (a report keeps the ones its run has)."""
    wanted = None if over is None else set(over)
    return [
        (q, broker, fault, outcome)
        for q in QUEUES.values()
        for broker in q.brokers
        if wanted is None or (q.name, broker) in wanted
        for fault in Fault
        if (outcome := q.outcomes.get((broker, fault))) is not None
    ]


def guarantee_cells(
    q: QueueFacts, broker: Broker, fault: Fault, outcome: Outcome
) -> tuple[str, str, str, str, str, str, str]:
    """A row's cells, as words: GUARANTEES_HEADER's columns."""
    ran = f"{outcome.ran} of {SCENARIO_TASKS[fault]}"
    return (
        q.name,
        broker.value,
        fault_words(fault, broker),
        ran,
        outcome.twice_text,
        str(outcome.lost),
        outcome.why,
    )


def guarantees_markdown() -> str:
    """The README's table of what each fault did to each library over each broker, one row
    per library, broker and fault (tests/target_app/test_queue.py checks the README's)."""
    rows = ["| " + " | ".join(GUARANTEES_HEADER) + " |", "|" + " --- |" * len(GUARANTEES_HEADER)]
    for row in guarantee_rows():
        library, broker, fault, ran, twice, lost, why = guarantee_cells(*row)
        lost = f"**{lost}**" if lost != "0" else lost
        rows.append(f"| {library} | {broker} | {fault} | {ran} | {twice} | {lost} | {why} |")
    return "\n".join(rows)
