"""The user of the dispatch routes (`/inline`, `/background`, ... `/process-pool`): they all
take `workload` and `ms`, answer 200 with the ids of the tasks they queued, and echo what
they were asked. A scenario names its route and strategy, and adds its own query parameters.
"""

from __future__ import annotations

from functools import cached_property
from typing import ClassVar
from urllib.parse import urlencode

from loadtests.support import checks
from loadtests.support.open_model import Context, OpenModelUser


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

    @cached_property
    def url(self) -> str:
        # Once per user: the options do not change during a run.
        return f"{self.path}?{urlencode(self.query())}"

    def send(self, context: Context) -> None:
        with self.client.get(
            self.url, name=self.request_name(), context=context, catch_response=True
        ) as response:
            problem = checks.dispatched(
                checks.Answer.of(response),
                strategy=self.expected_strategy(),
                workload=self.options.workload,
                ms=self.options.ms,
                tasks=self.expected_tasks(),
            )
            checks.settle(response, problem)
