"""A step-load plan: `users` more users every `step_s` seconds, `count` times, then stop.

With the open model the offered rate is split over the users the test *started* with, so
each step adds `--rate` requests/s: a staircase of rates. With the closed model it is a
staircase of users. Pure arithmetic, kept apart from the Locust shape that follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

from loadtests.support.options import ScenarioOptions


@dataclass(frozen=True, slots=True)
class StepPlan:
    users: int
    step_s: float
    count: int

    @classmethod
    def of(cls, options: ScenarioOptions) -> StepPlan:
        return cls(options.step_users, options.step_s, options.step_count)

    @property
    def duration_s(self) -> float:
        return self.step_s * self.count

    def at(self, elapsed_s: float) -> tuple[int, float] | None:
        """(users, spawn rate) at `elapsed_s` into the test; None once the last step is over.

        The spawn rate brings each step's users in within a second, so steps stay sharp."""
        step = int(elapsed_s // self.step_s)
        if elapsed_s < 0 or step >= self.count:
            return None
        return (step + 1) * self.users, float(self.users)
