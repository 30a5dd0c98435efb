"""An external queue (Celery, arq, ...: whichever the app runs, BGBENCH_QUEUE_LIBRARY). The
request only publishes; the library's workers run the work (their commands:
docs/target-app.md; the app needs BGBENCH_QUEUE_ENABLED=true). A 503 means the queue is off or
its broker unreachable."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class Queue(DispatchUser):
    path = "/queue"
    strategy = "queue"


if __name__ == "__main__":
    run_single_user(Queue)
