"""Distributed mode: two worker processes ship their recordings to the master, which adds
them up without losing or counting twice a single answer."""

from __future__ import annotations

import pytest

from bgbench.hdr import decode
from tests.loadtests.runs import Result, Run

pytestmark = pytest.mark.slow

RATE = 40
WORKERS = ("--processes", "2", "-u", "2", "-r", "20")
# Workers start their users ~0.5 s after the master starts the test: the warm-up leaves it out.
LOAD = ("--rate", str(RATE), "--probe-rate", "4", "--warmup-s", "1")
PROCESSES = Run("background", WORKERS + LOAD, label="processes")


@pytest.mark.parametrize("run", [PROCESSES], indirect=True, ids=str)
def test_two_workers_add_up_to_locusts_own_count(run: Result) -> None:
    assert run.returncode == 0, run.log[-3000:]
    doc = run.client
    assert (doc["workers"], doc["users"], doc["incomplete"]) == (2, 2, [])
    assert sorted(doc["requests"]) == ["background/sleep", "probe/baseline-sync"]
    # Every answer once, merged from both workers' periodic and last snapshots.
    assert run.count() + doc["warmup"]["count"] == run.locust.total
    for name, tally in doc["requests"].items():
        assert decode(tally["uncorrected"]).get_total_count() == tally["count"], name
        assert decode(tally["corrected"]).get_total_count() == tally["count"], name
        assert decode(tally["send_lag"]).get_total_count() == tally["count"], name
    assert sum(s["requests"] for s in doc["per_second"]) == run.count(probe=False)
    # Each worker's own share, the probe's left out: together, exactly the merged requests.
    workers = doc["per_worker"]
    assert len(workers) == 2
    assert sum(w["tally"]["count"] for w in workers.values()) == doc["all"]["count"]
    assert all(w["tally"]["count"] > 0 and w["cpu"] for w in workers.values())
    # The rate is split over both users, not offered by each: ~40/s in all, not ~80/s.
    main = doc["requests"]["background/sleep"]
    offered = RATE * doc["measured_s"]
    assert abs(main["count"] + main["unfinished"] + main["dropped"] - offered) <= 0.1 * offered + 2
