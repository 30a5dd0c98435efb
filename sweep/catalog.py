"""What the sweep knows about each dispatch strategy: which scenario drives it, which route
it loads, which workloads it accepts, and how the cell's worker limit reaches the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from bgbench.queues import ALIASES, QUEUES, QueueFacts

WORKLOADS = ("sleep", "cpu", "db", "http")
ROUTE_WORKLOADS = ("email", "upload")  # workloads with a route of their own


@dataclass(frozen=True)
class Strategy:
    name: str
    scenario: str  # loadtests/<scenario>.py
    route: str
    workloads: tuple[str, ...] = WORKLOADS
    workers_env: str | None = None  # the BGBENCH_* variable the worker limit sets, if any
    env: dict[str, str] = field(default_factory=dict)
    locust_args: tuple[str, ...] = ()
    queue: QueueFacts | None = None  # the task queue library, for the queue strategies

    @property
    def needs_broker(self) -> bool:
        return self.queue is not None

    @property
    def has_workers(self) -> bool:
        return self.workers_env is not None or self.needs_broker

    @property
    def is_control(self) -> bool:
        return self.name == "none"


STRATEGIES: dict[str, Strategy] = {
    s.name: s
    for s in (
        Strategy("none", "baseline", "/baseline", workloads=("none",)),
        Strategy("inline", "inline", "/inline"),
        Strategy("background", "background", "/background", workloads=WORKLOADS + ROUTE_WORKLOADS),
        Strategy("background_async", "background_async", "/background-async"),
        Strategy("background_blocking", "background_blocking", "/background-blocking"),
        Strategy("middleware_base", "middleware", "/baseline", env={"BGBENCH_MIDDLEWARE": "base"}),
        Strategy("middleware_asgi", "middleware", "/baseline", env={"BGBENCH_MIDDLEWARE": "asgi"}),
        Strategy("chained", "chained", "/chained"),
        Strategy("failing", "failing", "/failing"),
        Strategy("failing_guarded", "failing", "/failing", locust_args=("--guarded",)),
        Strategy("executor", "executor", "/executor", workers_env="BGBENCH_EXECUTOR_MAX_WORKERS"),
        Strategy(
            "process_pool",
            "process_pool",
            "/process-pool",
            workloads=("sleep", "cpu"),
            workers_env="BGBENCH_PROCESS_POOL_WORKERS",
            env={"BGBENCH_PROCESS_POOL_PREWARM": "true"},
        ),
        # One per queue library (and `queue`, Celery's first name); the worker limit is the
        # library's own concurrency knob (bgbench.queues says what it counts).
        *(
            Strategy(
                name,
                "task_queue",
                "/queue",
                env={"BGBENCH_QUEUE_ENABLED": "true", "BGBENCH_QUEUE_LIBRARY": facts.name},
                queue=facts,
            )
            for name, facts in [*QUEUES.items(), *((a, QUEUES[n]) for a, n in ALIASES.items())]
        ),
    )
}

# Workloads with a route of their own replace the strategy's scenario.
# (Not "email.py": a locustfile named after a stdlib module hides it from Locust's imports.)
ROUTE_SCENARIOS = {"email": ("send_email", "/send-email"), "upload": ("upload", "/upload-file")}


def scenario_and_route(strategy: Strategy, workload: str) -> tuple[str, str]:
    return ROUTE_SCENARIOS.get(workload, (strategy.scenario, strategy.route))
