"""The control with work: the request runs the task itself and the user waits for it."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class Inline(DispatchUser):
    path = "/inline"
    strategy = "inline"


if __name__ == "__main__":
    run_single_user(Inline)
