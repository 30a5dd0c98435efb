"""What the app and the sweep need from a task queue library, each library in a module of its
own beside this one (`bgbench.queues` names them): the app's side sends a job; the sweep's
side starts the library's worker, knows when it is ready, and empties the cell's queue."""

from __future__ import annotations

import importlib
import time
from abc import ABC, abstractmethod
from typing import ClassVar
from urllib.parse import urlparse

from bgbench.queues import QUEUES, Broker, QueueFacts
from target_app.queue.job import QueuedJob
from target_app.settings import Settings

_SCHEMES = {
    "redis": Broker.REDIS,
    "rediss": Broker.REDIS,
    "amqp": Broker.RABBITMQ,
    "amqps": Broker.RABBITMQ,
    "postgresql": Broker.POSTGRES,
    "postgres": Broker.POSTGRES,
}


def rabbitmq_messages(url: str, queue: str, consumers_gone_s: float = 5.0) -> int:
    """Messages in a RabbitMQ queue: the ready ones, and the unacknowledged ones once their
    consumers have gone (RabbitMQ gives those back when a consumer's channel closes).

    A worker just stopped or killed may still be a consumer for a moment: RabbitMQ sees the
    connection drop, then requeues what it had taken. Counted before, those would look lost;
    so this waits (up to `consumers_gone_s`, then raises) for the queue to have no consumer."""
    import pika  # noqa: PLC0415 (only the RabbitMQ cells need it)

    connection = pika.BlockingConnection(pika.URLParameters(url))
    try:
        channel = connection.channel()
        deadline = time.monotonic() + consumers_gone_s
        while True:
            declared = channel.queue_declare(queue, passive=True).method
            if declared.consumer_count == 0:
                count: int = declared.message_count
                return count
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{queue} still has {declared.consumer_count} consumer(s) "
                    f"{consumers_gone_s:g} s after its worker stopped: what they hold is not "
                    "counted yet (is another worker on this queue?)"
                )
            time.sleep(0.05)
    except pika.exceptions.ChannelClosedByBroker as exc:
        if exc.reply_code == 404:  # never declared: nothing was ever sent to it
            return 0
        raise
    finally:
        if connection.is_open:
            connection.close()


class BrokerUnavailable(RuntimeError):
    """The broker cannot be reached, or is not one the library runs over."""


def broker_of(url: str) -> Broker | None:
    return _SCHEMES.get(urlparse(url).scheme)


class QueueLibrary(ABC):
    facts: ClassVar[QueueFacts]
    # A line the worker logs when it takes work, and how many times (once per process for
    # libraries whose processes each say it).
    ready_line: ClassVar[str]

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.broker_url = settings.broker_url
        self.queue = settings.queue_name
        broker = broker_of(self.broker_url)
        assert broker is not None, "library() checked it"
        self.broker = broker

    # The app's side.
    async def open(self) -> None:  # noqa: B027 (a library may connect on first send)
        """Connect; BrokerUnavailable (naming the URL) if the broker does not answer."""

    @abstractmethod
    async def send(self, job: QueuedJob) -> None:
        """Publish one job; BrokerUnavailable if the broker refuses it."""

    async def close(self) -> None:  # noqa: B027 (nothing to close is the common case)
        """Let go of the connections open() made."""

    # The sweep's side.
    @abstractmethod
    def worker_command(self) -> list[str]:
        """The library's own worker command, with BGBENCH_QUEUE_CONCURRENCY as its knob."""

    def ready_lines(self) -> int:
        return 1

    @abstractmethod
    def purge(self) -> None:
        """Drop what is left of the cell's queue (called after its worker has stopped)."""

    @abstractmethod
    def held(self) -> int:
        """The cell's jobs the broker still holds once its worker has stopped: those waiting,
        and any it keeps unacknowledged (a worker's prefetch or its running jobs, until they
        are acked or given back). The app's tasks that never started and that this does not
        count, the broker lost."""

    def unavailable(self, exc: BaseException) -> BrokerUnavailable:
        return BrokerUnavailable(
            f"{self.facts.name} needs its broker at {self.broker_url} ({exc}); start it, point "
            "BGBENCH_BROKER_URL at one, or leave BGBENCH_QUEUE_ENABLED unset"
        )


def library_class(name: str) -> type[QueueLibrary]:
    """Imported on demand: only the library a cell uses is loaded."""
    facts = QUEUES[name]
    module = importlib.import_module(f"target_app.queue.{facts.module}")
    cls: type[QueueLibrary] = module.Library
    return cls


def library(settings: Settings) -> QueueLibrary:
    """The settings' library, over the broker their URL names (checked before the library's
    module is imported: its worker's side reads the same settings at import)."""
    facts = QUEUES[settings.queue_library]
    if broker_of(settings.broker_url) not in facts.brokers:
        runs_over = " or ".join(b.value for b in facts.brokers)
        raise BrokerUnavailable(
            f"{facts.name} runs over {runs_over}, not {settings.broker_url}; "
            "set BGBENCH_BROKER_URL to one of them"
        )
    return library_class(settings.queue_library)(settings)
