"""Queue workers for the queue strategies: the cell's library's own worker command, started
beside the target app with the cell's concurrency, pinned like it, stopped by pid — and a
check that each broker answers."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from bgbench.queues import Broker
from sweep.child import Child

if TYPE_CHECKING:
    from target_app.queue.library import QueueLibrary

# Where the sweep finds each broker: a variable the user may set, and its default here.
BROKER_ENV: dict[Broker, tuple[str, str]] = {
    Broker.REDIS: ("BGBENCH_BROKER_URL", "redis://127.0.0.1:6379/0"),
    Broker.RABBITMQ: ("BGBENCH_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672"),
    Broker.POSTGRES: ("BGBENCH_POSTGRES_URL", "postgresql://127.0.0.1:5432/test"),
}
_HOW_TO_START = {
    Broker.REDIS: "start Redis (redis-server --daemonize yes --bind 127.0.0.1 --port 6379)",
    Broker.RABBITMQ: "start RabbitMQ (rabbitmq-server -detached)",
    Broker.POSTGRES: "start PostgreSQL with a database the URL names",
}


class BrokerError(RuntimeError):
    pass


class WorkerError(RuntimeError):
    pass


def broker_url(broker: Broker) -> str:
    variable, default = BROKER_ENV[broker]
    return os.environ.get(variable, default)


def check_broker(broker: Broker) -> None:
    """A clear error naming the URL when the broker does not take connections."""
    url = broker_url(broker)
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), 2):
            pass
    except OSError as exc:
        variable = BROKER_ENV[broker][0]
        raise BrokerError(
            f"no {broker.value} at {url} ({exc}); {_HOW_TO_START[broker]} or set {variable}"
        ) from None


def _library(env: Mapping[str, str]) -> QueueLibrary:
    # Imported here: a sweep without queue cells never loads a queue library.
    from target_app.queue.library import library  # noqa: PLC0415
    from target_app.settings import Settings  # noqa: PLC0415

    prefix = "BGBENCH_"
    values = {k.removeprefix(prefix).lower(): v for k, v in env.items() if k.startswith(prefix)}
    return library(Settings.model_validate(values))


def purge(env: Mapping[str, str]) -> None:
    """Drop a cell's leftover jobs, so that one cell's work never leaks into the next."""
    try:
        _library(env).purge()
    except Exception as exc:  # whatever the library's client raises
        raise BrokerError(f"cannot purge {env.get('BGBENCH_QUEUE_NAME')}: {exc}") from None


def held(env: Mapping[str, str]) -> int:
    """The cell's jobs its broker still holds (call it once the worker has stopped)."""
    try:
        return _library(env).held()
    except Exception as exc:  # whatever the library's client raises
        raise BrokerError(f"cannot count {env.get('BGBENCH_QUEUE_NAME')}: {exc}") from None


def late_starts(env: Mapping[str, str]) -> int:
    """The cell's jobs its worker started after the app's drain ended (once both stopped)."""
    from target_app.queue import events  # noqa: PLC0415 (as in `_library`)

    queue = env.get("BGBENCH_QUEUE_NAME", "")
    try:
        return events.late_starts(env["BGBENCH_EVENTS_URL"], queue)
    except Exception as exc:  # redis' own errors
        raise BrokerError(f"cannot read the task events of {queue}: {exc}") from None


class QueueWorker:
    """The library's worker, configured like the app (the same BGBENCH_* environment)."""

    def __init__(
        self,
        env: Mapping[str, str],
        log_path: Path,
        *,
        cpus: Sequence[int] | None = None,
    ) -> None:
        self.env = dict(env)
        self.library = _library(env)
        self.concurrency = self.library.settings.queue_concurrency
        self.child = Child(log_path, cpus=cpus)

    @property
    def name(self) -> str:
        return self.library.facts.name

    @property
    def pid(self) -> int | None:
        return self.child.pid

    def start(self, timeout_s: float = 60.0) -> QueueWorker:
        log_path = self.child.log_path
        offset = log_path.stat().st_size if log_path.exists() else 0
        self.child.spawn(self.library.worker_command(), self.env)
        ready, needed = self.library.ready_line, self.library.ready_lines()
        deadline = time.monotonic() + timeout_s
        while log_path.read_text(errors="replace")[offset:].count(ready) < needed:
            code = self.child.exit_code
            if code is not None:
                raise WorkerError(f"the {self.name} worker exited with code {code}; see {log_path}")
            if time.monotonic() > deadline:
                self.child.kill()
                raise WorkerError(f"the {self.name} worker was not ready in {timeout_s:g} s")
            time.sleep(0.1)
        return self

    def stop(self, timeout_s: float = 60.0) -> int | None:
        """Warm shutdown (SIGTERM: the libraries finish their running jobs), SIGKILL if it
        lingers. Its exit code; None if it had to be killed."""
        return self.child.stop(timeout_s)

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once: a crash, mid-task."""
        self.child.kill()
