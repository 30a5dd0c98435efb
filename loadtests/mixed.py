"""Starvation of anyio's shared thread pool (40 tokens): Hammer users flood /background with
sync sleep tasks while one Prober times /baseline-sync, a `def` endpoint that needs a token
too. Run it with 2 users or more (the Prober takes one); --probe-rate sets the Prober's
rate, 0 makes it a closed loop."""

from __future__ import annotations

from locust import run_single_user

from loadtests import background
from loadtests.support.open_model import OpenModelUser, Stream


class Hammer(background.Background):
    carries_probe = False  # the Prober probes


class Prober(OpenModelUser):
    fixed_count = 1

    def make_streams(self) -> list[Stream]:
        # The only Prober (fixed_count), so it takes the whole --probe-rate.
        return [self.probe_stream(self.options.probe_rate)]


if __name__ == "__main__":
    run_single_user(Prober)
