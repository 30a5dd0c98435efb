"""The control: /baseline, an async hello world with no background work at all."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support import checks
from loadtests.support.checks import Answer
from loadtests.support.http1 import Call
from loadtests.support.open_model import OpenModelUser


class Baseline(OpenModelUser):
    def request_name(self) -> str:
        return "none/baseline"

    def call(self) -> Call:
        return Call("GET", "/baseline")

    def check(self, answer: Answer) -> str | None:
        return checks.hello(answer)


if __name__ == "__main__":
    run_single_user(Baseline)
