"""Fixtures of the Locust scenario tests: see runs.py."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.loadtests.runs import Launcher, Result, selected_runs


@pytest.fixture(scope="session")
def launcher(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Launcher]:
    started = Launcher(selected_runs(request.session.items), tmp_path_factory.mktemp("locust"))
    yield started
    started.close()


@pytest.fixture
def run(request: pytest.FixtureRequest, launcher: Launcher) -> Result:
    result: Result = launcher.result(request.param)
    return result
