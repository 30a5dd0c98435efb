"""Several tasks in one BackgroundTasks (--tasks): Starlette runs them one after another."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class Chained(DispatchUser):
    path = "/chained"
    strategy = "chained"

    def query(self) -> dict[str, object]:
        return {**super().query(), "tasks": self.options.tasks}

    def expected_tasks(self) -> int:
        return self.options.tasks


if __name__ == "__main__":
    run_single_user(Chained)
