"""Celery workers for the queue strategy: started beside the target app with the cell's
concurrency, pinned like it, stopped by pid — and a check that the broker answers."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import urlparse

import redis

from sweep.child import Child

READY = " ready."


DEFAULT_BROKER_URL = "redis://127.0.0.1:6379/0"  # the app's default too (BGBENCH_BROKER_URL)


class BrokerError(RuntimeError):
    pass


class WorkerError(RuntimeError):
    pass


def check_broker(url: str) -> None:
    """A clear error naming the URL when the broker does not answer."""
    parsed = urlparse(url)
    if parsed.scheme not in ("redis", "rediss"):
        raise BrokerError(f"the queue strategy needs a redis:// broker URL, not {url!r}")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (redis.RedisError, OSError) as exc:
        raise BrokerError(
            f"no broker at {url} ({exc}); start Redis "
            "(redis-server --daemonize yes --bind 127.0.0.1 --port 6379) or set BGBENCH_BROKER_URL"
        ) from None


def purge(url: str, queue: str) -> None:
    """Drop a queue's leftover messages, so one cell's work never leaks into the next."""
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).delete(queue)
    except (redis.RedisError, OSError) as exc:
        raise BrokerError(f"cannot purge {queue} at {url}: {exc}") from None


class CeleryWorker:
    def __init__(
        self,
        env: Mapping[str, str],
        concurrency: int,
        log_path: Path,
        *,
        cpus: Sequence[int] | None = None,
        name: str = "bgbench",
    ) -> None:
        self.env = dict(env)
        self.concurrency = concurrency
        self.name = name
        self.child = Child(log_path, cpus=cpus)

    @property
    def pid(self) -> int | None:
        return self.child.pid

    def start(self, timeout_s: float = 60.0) -> CeleryWorker:
        command = [
            sys.executable,
            "-m",
            "celery",
            "--app",
            "target_app.queue.worker",
            "worker",
            "--concurrency",
            str(self.concurrency),
            "--pool",
            "prefork",
            "--hostname",
            f"{self.name}-{os.getpid()}-{time.monotonic_ns()}@%h",
            "--loglevel",
            "INFO",
            # Nothing here needs the cluster chatter; it only slows the start.
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ]
        log_path = self.child.log_path
        offset = log_path.stat().st_size if log_path.exists() else 0
        self.child.spawn(command, self.env)
        deadline = time.monotonic() + timeout_s
        while READY not in log_path.read_text(errors="replace")[offset:]:
            code = self.child.exit_code
            if code is not None:
                raise WorkerError(f"the Celery worker exited with code {code}; see {log_path}")
            if time.monotonic() > deadline:
                self.child.kill()
                raise WorkerError(f"the Celery worker was not ready in {timeout_s} s")
            time.sleep(0.1)
        return self

    def stop(self, timeout_s: float = 60.0) -> None:
        """Warm shutdown (SIGTERM: finish the running tasks), SIGKILL if it lingers."""
        self.child.stop(timeout_s)

    def kill(self) -> None:
        """SIGKILL to the worker and its pool processes at once: a crash, mid-task."""
        self.child.kill()
