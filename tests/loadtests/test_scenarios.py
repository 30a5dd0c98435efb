"""Every scenario, run headless for 3 s against a real target app: requests happen, they keep
the app's contract, and client.json adds up with Locust's own counts."""

from __future__ import annotations

import pytest

from bgbench.hdr import decode
from loadtests.support import client_json
from tests.loadtests.runs import App, Result, Run, settings

pytestmark = pytest.mark.slow

OPEN = ("--rate", "20", "--warmup-s", "1")
SMOKE = [
    Run("baseline", ("--rate", "0", "-u", "2", "-r", "10", "--warmup-s", "1"), label="closed"),
    Run("inline", OPEN),
    Run("background", (*OPEN, "--probe-rate", "5")),
    Run("background_async", OPEN),
    Run("background_blocking", (*OPEN, "--ms", "1")),
    Run("chained", (*OPEN, "--tasks", "2")),
    Run("failing", (*OPEN, "--tasks", "3", "--fail-at", "2")),
    Run("failing", (*OPEN, "--guarded"), label="failing-guarded"),
    Run("executor", (*OPEN, "--priority", "high")),
    Run("process_pool", (*OPEN, "--workload", "cpu")),
    Run("send_email", OPEN),
    Run("upload", (*OPEN, "--upload-bytes", "5000")),
    Run("middleware", OPEN, App("base", settings(middleware="base")), label="middleware-base"),
    Run("middleware", OPEN, App("asgi", settings(middleware="asgi")), label="middleware-asgi"),
    Run("mixed", ("--rate", "20", "-u", "3", "-r", "10", "--probe-rate", "5")),
]
NAMES = {
    "closed": ["none/baseline"],
    "inline": ["inline/sleep"],
    "background": ["background/sleep", "probe/baseline-sync"],
    "background_async": ["background_async/sleep"],
    "background_blocking": ["background_blocking/sleep"],
    "chained": ["chained/sleep"],
    "failing": ["failing/sleep"],
    "failing-guarded": ["failing_guarded/sleep"],
    "executor": ["executor/sleep"],
    "process_pool": ["process_pool/cpu"],
    "send_email": ["background/email"],
    "upload": ["background/upload"],
    "middleware-base": ["middleware/baseline"],
    "middleware-asgi": ["middleware/baseline"],
    "mixed": ["background/sleep", "probe/baseline-sync"],
}


def failure(reason: str) -> str:
    """How Locust lists a failure set with response.failure(reason)."""
    return f"CatchResponseError({reason!r})"


def check_adds_up(result: Result) -> None:
    """client.json holds every answered request once: measured or warm-up, per name and per
    second, with histograms that hold as many values as the counts say."""
    doc = result.client
    assert doc["schema_version"] == client_json.SCHEMA_VERSION
    assert doc["incomplete"] == []
    assert result.locust.total > 0
    assert result.count() + doc["warmup"]["count"] == result.locust.total
    for name, tally in doc["requests"].items():
        assert decode(tally["uncorrected"]).get_total_count() == tally["count"], name
        if tally["corrected"] is not None:
            assert decode(tally["corrected"]).get_total_count() == tally["count"], name
            assert decode(tally["send_lag"]).get_total_count() == tally["count"], name
    assert sum(s["requests"] for s in doc["per_second"]) == result.count(probe=False)


@pytest.mark.parametrize("run", SMOKE, indirect=True, ids=str)
def test_scenario_runs_and_keeps_the_contract(run: Result) -> None:
    expected_failures = 0
    if str(run.run) == "failing":
        # Unguarded, the raising task makes uvicorn close the connection after the
        # response: a request already on its way over it may get no answer. Nothing else.
        assert set(run.locust.errors) <= {failure("no response (ConnectionResetError)")}
        expected_failures = sum(run.locust.failures.values())
    assert sorted(run.client["requests"]) == sorted(NAMES[str(run.run)])
    assert sum(t["failures"] for t in run.client["requests"].values()) <= expected_failures
    assert run.returncode == (1 if expected_failures else 0), run.log[-3000:]
    check_adds_up(run)
    model = "closed" if str(run.run) == "closed" else "open"
    assert run.client["model"] == model
    assert all(
        (t["corrected"] is None) == (t["send_lag"] is None) == (model == "closed")
        for t in run.client["requests"].values()
    )


STEP = Run("step", ("--rate", "10", "--step-s", "1", "--step-count", "3"), seconds=5)


@pytest.mark.parametrize("run", [STEP], indirect=True, ids=str)
def test_the_step_shape_adds_a_rate_step_every_step(run: Result) -> None:
    assert run.returncode == 0, run.log[-3000:]
    check_adds_up(run)
    assert run.client["users"] == 1  # the rate is split over the first step's users
    # 10, then 20, then 30 requests/s: 60 in all; without steps it would be 30. The bound
    # is loose because the first and last step are cut by spawning and stopping.
    assert run.locust.total > 45


EXECUTOR_FULL = Run(
    "executor",
    ("--rate", "20", "--ms", "200"),
    App("executor-1", settings(executor_max_workers=1, executor_queue_limit=1)),
    label="executor-queue-full",
)


@pytest.mark.parametrize("run", [EXECUTOR_FULL], indirect=True, ids=str)
def test_a_full_executor_queue_is_a_failure_of_its_own(run: Result) -> None:
    check_adds_up(run)
    tally = run.client["requests"]["executor/sleep"]
    # One task runs and one waits, each for 200 ms, at 20 requests/s: most are turned away.
    assert tally["statuses"]["503"] > tally["statuses"]["200"] > 0
    assert tally["failures"] == tally["statuses"]["503"]
    assert run.locust.errors == [failure("503 rejected: queue full (Retry-After: 1)")]
    assert run.returncode == 1  # Locust's exit code on failures
