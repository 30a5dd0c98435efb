"""Shared fixtures: a real target app on a free loopback port, and services that may be
missing (skipped with a how-to on a laptop, a failure under CI=true)."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlparse

import pytest

from sweep.target import TargetProcess

SERVICE_HINTS = {
    "redis": (
        "redis://127.0.0.1:6379",
        "start one with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379",
    ),
    "rabbitmq": (
        "amqp://guest:guest@127.0.0.1:5672",
        "start one with: rabbitmq-server -detached",
    ),
    "postgres": (
        "postgresql://127.0.0.1:5432/test",
        "start one and create a database `test` that trusts local connections",
    ),
}

StartTarget = Callable[..., TargetProcess]


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 0), 1.0):
            return True
    except OSError:
        return False


def in_ci() -> bool:
    """CI=true, as GitHub Actions and most CIs set it, or CI=1 (GitLab's older runners, and
    people by hand): anything but unset, empty, 0 or false."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def unavailable(message: str) -> NoReturn:
    """What a test needs is missing: a skip that says so, but a failure under CI, where
    everything it needs is installed and a skip would pass for a pass."""
    if in_ci():
        pytest.fail(f"CI={os.environ['CI']}: {message}", pytrace=False)
    pytest.skip(message)


def require_service(name: str) -> str:
    """The service's URL, or skip (fail under CI=true) saying how to start it."""
    url, hint = SERVICE_HINTS[name]
    if not _reachable(url):
        unavailable(f"needs {name} at {url}; {hint}")
    return url


def _targets(directory: Path) -> Iterator[StartTarget]:
    started: list[TargetProcess] = []

    def start(**settings: object) -> TargetProcess:
        env = {"BGBENCH_DATA_DIR": str(directory / f"data{len(started)}")}
        env.update({f"BGBENCH_{key.upper()}": str(value) for key, value in settings.items()})
        target = TargetProcess(env, log_path=directory / f"server{len(started)}.log")
        started.append(target)
        return target.start()

    yield start
    for target in started:
        target.stop(timeout_s=30)


@pytest.fixture
def start_target(tmp_path: Path) -> Iterator[StartTarget]:
    """Start target apps with BGBENCH_* settings (`start_target(executor_max_workers=1)`);
    every one is stopped by pid when the test ends."""
    yield from _targets(tmp_path)


@pytest.fixture(scope="module")
def default_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetProcess]:
    """One target app with default settings, shared by a test module."""
    for start in _targets(tmp_path_factory.mktemp("target")):
        yield start()
