"""The queue tests' shared parts: each library over each broker it runs over, its settings,
its real worker (stopped by pid whatever the test did), and brokers of a test's own."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bgbench.queues import QUEUES, Broker
from sweep.queue_workers import QueueWorker, purge
from sweep.target import TargetProcess
from tests.conftest import StartTarget, require_service
from tests.own_brokers import OwnBroker, OwnPostgres, OwnRabbitMQ, OwnRedis

OVER = [
    pytest.param((name, broker), id=f"{name}-{broker}")
    for name, facts in QUEUES.items()
    for broker in facts.brokers
]
VISIBILITY_TIMEOUT_S = 3.0


def broker_url(broker: Broker) -> str:
    url = require_service(broker.value)
    return url + "/0" if broker is Broker.REDIS else url


def queue_settings(library: str, url: str, directory: Path, **more: str) -> dict[str, str]:
    """The app's and the worker's settings for `library` over the broker at `url`, on a queue
    of the test's own; the events go over the machine's Redis."""
    return {
        "queue_enabled": "true",
        "queue_library": library,
        "broker_url": url,
        "events_url": broker_url(Broker.REDIS),
        "queue_name": f"bgbench-test-{uuid.uuid4().hex}",
        "queue_visibility_timeout_s": f"{VISIBILITY_TIMEOUT_S:g}",
        "data_dir": str(directory / "data"),
        **more,
    }


def bgbench_env(env: dict[str, str]) -> dict[str, str]:
    return {f"BGBENCH_{key.upper()}": value for key, value in env.items()}


@pytest.fixture(params=OVER)
def queue_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    library, broker = request.param
    env = queue_settings(library, broker_url(broker), tmp_path)
    yield env
    purge(bgbench_env(env))


@pytest.fixture
def queue_target(start_target: StartTarget, queue_env: dict[str, str]) -> TargetProcess:
    # No drain at its stop: a task a killed worker abandoned (RQ's, procrastinate's) would
    # keep the app for its whole drain timeout, 30 s, and the tests wait for their own tasks.
    return start_target(**queue_env, drain_timeout_s="0")


StartWorker = Callable[[dict[str, str], Path], QueueWorker]


@pytest.fixture
def start_worker() -> Iterator[StartWorker]:
    """Start the library's worker; every one started is stopped by pid when the test ends,
    whatever happened in it (a failed assertion must not leave a worker running)."""
    started: list[QueueWorker] = []

    def start(env: dict[str, str], log: Path) -> QueueWorker:
        worker = QueueWorker(bgbench_env(env), log_path=log)
        started.append(worker)
        return worker.start()

    yield start
    for worker in started:
        worker.stop(timeout_s=10)  # short tasks: a warm stop takes a moment


OwnBrokerFactory = Callable[[Broker, bool], OwnBroker]


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[OwnBrokerFactory]:
    """`own_broker(broker, durable)`: a broker of the test's own, started; stopped by pid
    when the test ends (`durable` chooses Redis's persistence; the others always are)."""
    started: list[OwnBroker] = []

    def start(broker: Broker, durable: bool) -> OwnBroker:
        directory = tmp_path / f"{broker.value}{len(started)}"
        own: OwnBroker
        if broker is Broker.REDIS:
            own = OwnRedis(directory, durable=durable)
        elif broker is Broker.RABBITMQ:
            own = OwnRabbitMQ(directory)
        else:
            own = OwnPostgres(directory)
        started.append(own)
        return own.start()

    yield start
    for own in started:
        own.remove()
