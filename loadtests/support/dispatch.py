"""The user of the dispatch routes (`/inline`, `/background`, ... `/process-pool`): they all
take `workload` and `ms`, answer 200 with the ids of the tasks they queued, and echo what
they were asked. A scenario names its route and strategy, and adds its own query parameters.
"""

from __future__ import annotations

from typing import ClassVar
from urllib.parse import urlencode

from loadtests.support import checks
from loadtests.support.checks import Answer
from loadtests.support.http1 import Call
from loadtests.support.open_model import OpenModelUser


class DispatchUser(OpenModelUser):
    abstract = True
    path: ClassVar[str]
    strategy: ClassVar[str]  # as the app reports it in the body

    def query(self) -> dict[str, object]:
        return {"workload": self.options.workload, "ms": self.options.ms}

    def expected_strategy(self) -> str:
        return self.strategy

    def expected_tasks(self) -> int:
        return 1

    def request_name(self) -> str:
        return f"{self.expected_strategy()}/{self.options.workload}"

    def call(self) -> Call:
        return Call("GET", f"{self.path}?{urlencode(self.query())}")

    def check(self, answer: Answer) -> str | None:
        return checks.dispatched(
            answer,
            strategy=self.expected_strategy(),
            workload=self.options.workload,
            ms=self.options.ms,
            tasks=self.expected_tasks(),
        )
