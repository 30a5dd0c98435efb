"""The anti-pattern: a blocking call inside an async task stalls the whole event loop."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class BackgroundBlocking(DispatchUser):
    path = "/background-blocking"
    strategy = "background_blocking"


if __name__ == "__main__":
    run_single_user(BackgroundBlocking)
