"""A chain in which task --fail-at raises: unguarded, the rest never run and uvicorn closes
the connection (the load client sends the next request on a new one: the app never read
it); --guarded, the failure is logged and the chain goes on."""

from __future__ import annotations

from locust import run_single_user

from loadtests import chained


class Failing(chained.Chained):
    path = "/failing"
    strategy = "failing"

    def query(self) -> dict[str, object]:
        extra = {"guarded": "true"} if self.options.guarded else {}
        return {**super().query(), "fail_at": self.options.fail_at, **extra}

    def expected_strategy(self) -> str:
        return "failing_guarded" if self.options.guarded else "failing"


if __name__ == "__main__":
    run_single_user(Failing)
