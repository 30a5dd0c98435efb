"""A ProcessPoolExecutor: CPU work escapes the GIL (workload sleep or cpu only)."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support.dispatch import DispatchUser


class ProcessPool(DispatchUser):
    path = "/process-pool"
    strategy = "process_pool"

    def on_start(self) -> None:
        # db and http work need the app's connection pools, which do not cross processes.
        if self.options.workload not in ("sleep", "cpu"):
            raise ValueError(f"/process-pool runs sleep or cpu work, not {self.options.workload}")


if __name__ == "__main__":
    run_single_user(ProcessPool)
