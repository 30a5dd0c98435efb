"""Middleware-attached tasks: /baseline, on an app started with BGBENCH_MIDDLEWARE=base
(the guide's @app.middleware("http")) or =asgi, which adds a task to every request. The
task's workload and ms are the app's (BGBENCH_MIDDLEWARE_WORKLOAD, BGBENCH_MIDDLEWARE_MS)."""

from __future__ import annotations

from locust import run_single_user

# The module, not the class: a user class in this namespace would run too.
from loadtests import baseline


class Middleware(baseline.Baseline):
    def request_name(self) -> str:
        return "middleware/baseline"


if __name__ == "__main__":
    run_single_user(Middleware)
