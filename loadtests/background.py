"""BackgroundTasks with a sync task: it runs in anyio's thread pool after the response."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class Background(DispatchUser):
    path = "/background"
    strategy = "background"


if __name__ == "__main__":
    run_single_user(Background)
