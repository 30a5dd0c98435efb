"""A ThreadPoolExecutor with a worker limit (BGBENCH_EXECUTOR_MAX_WORKERS): with a bounded
queue (BGBENCH_EXECUTOR_QUEUE_LIMIT) it answers 503 + Retry-After when full, which Locust
lists as "503 rejected: queue full" and client.json counts under statuses["503"]."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class Executor(DispatchUser):
    path = "/executor"
    strategy = "executor"

    def query(self) -> dict[str, object]:
        return {**super().query(), "priority": self.options.priority}


if __name__ == "__main__":
    run_single_user(Executor)
