"""BackgroundTasks with an async task: it runs on the event loop, between requests."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class BackgroundAsync(DispatchUser):
    path = "/background-async"
    strategy = "background_async"


if __name__ == "__main__":
    run_single_user(BackgroundAsync)
