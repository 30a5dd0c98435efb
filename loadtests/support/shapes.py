"""Load shapes. A shape class in a locustfile's namespace replaces `--users`, so import one
only where it is wanted: in `loadtests/step.py`, or by adding this file to any scenario
(`locust -f loadtests/background.py,loadtests/support/shapes.py`)."""

from __future__ import annotations

from locust import LoadTestShape

from loadtests.support.options import ScenarioOptions
from loadtests.support.steps import StepPlan


class StepLoadShape(LoadTestShape):
    """--step-users more users every --step-s seconds, --step-count times, then stop."""

    def tick(self) -> tuple[int, float] | None:
        runner = self.runner
        assert runner is not None
        # Read at every tick: the web UI may have changed the options since the start.
        options = ScenarioOptions.from_namespace(runner.environment.parsed_options)
        elapsed_s: float = self.get_run_time()  # type: ignore[no-untyped-call]  # unannotated
        return StepPlan.of(options).at(elapsed_s)
