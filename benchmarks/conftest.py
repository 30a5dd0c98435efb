"""Fixtures of the benchmark suite: the async benchmark plugin, and the target app started on
its loop."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import pytest

from benchmarks.async_benchmark import (
    async_benchmark,
    benchmark_loop,
    pytest_collection_modifyitems,
)
from benchmarks.running_app import RunningApp, StartApp, running_app
from benchmarks.selection import (
    pytest_collection_finish,
    pytest_itemcollected,
    pytest_sessionfinish,
)
from target_app.settings import Settings

# pytest looks for fixtures and hooks in this module's namespace.
__all__ = [
    "async_benchmark",
    "benchmark_loop",
    "pytest_collection_finish",
    "pytest_collection_modifyitems",
    "pytest_itemcollected",
    "pytest_sessionfinish",
]

# A benchmark sends hundreds of thousands of requests; the ledger keeps this many finished
# tasks for /tasks/{id} (none is read here), so the heap, and the GC's work, stay flat.
LEDGER_RETAIN = 1_000


@pytest.fixture(scope="session")
def start_app(
    benchmark_loop: asyncio.AbstractEventLoop, tmp_path_factory: pytest.TempPathFactory
) -> StartApp:
    """`with start_app(**settings) as app:` the target app on the benchmark loop."""

    def start(**settings: Any) -> AbstractContextManager[RunningApp]:
        data_dir = tmp_path_factory.mktemp("target_app")
        config = Settings(data_dir=data_dir, ledger_retain=LEDGER_RETAIN, **settings)
        return running_app(benchmark_loop, config)

    return start


@pytest.fixture(scope="module")
def app(start_app: StartApp) -> Iterator[RunningApp]:
    """The target app with its default settings (no middleware), one per module."""
    with start_app() as running:
        yield running
