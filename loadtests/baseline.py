"""The control: /baseline, an async hello world with no background work at all."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support import checks
from loadtests.support.open_model import Context, OpenModelUser


class Baseline(OpenModelUser):
    path = "/baseline"

    def request_name(self) -> str:
        return "none/baseline"

    def send(self, context: Context) -> None:
        with self.client.get(
            self.path, name=self.request_name(), context=context, catch_response=True
        ) as response:
            checks.settle(response, checks.hello(checks.Answer.of(response)))


if __name__ == "__main__":
    run_single_user(Baseline)
