"""A Tally's send lag: recorded for every scheduled request sent, answered or not, never for
a closed-model one, and added up without loss like the latency histograms."""

from __future__ import annotations

import json
import random

import pytest
from hdrh.histogram import HdrHistogram

from bgbench.hdr import decode
from loadtests.support.tally import Tally, TallyWire, merge_wire


def recorded(histogram: HdrHistogram | None) -> list[tuple[int, int]]:
    assert histogram is not None
    return [
        (v.value_iterated_to, v.count_at_value_iterated_to)
        for v in histogram.get_recorded_iterator()
    ]


def test_an_answered_scheduled_request_has_its_send_lag_and_the_sum_as_corrected() -> None:
    tally = Tally()
    tally.record(1_000, 4_000, failed=False, status=200)
    assert tally.send_lag is not None
    assert tally.corrected is not None
    # HDR keeps 3 significant figures.
    assert tally.send_lag.get_max_value() == pytest.approx(4_000, rel=1e-3)
    assert tally.corrected.get_max_value() == pytest.approx(5_000, rel=1e-3)
    assert tally.uncorrected.get_max_value() == pytest.approx(1_000, rel=1e-3)


def test_an_on_time_send_counts_as_one_microsecond_not_as_none() -> None:
    tally = Tally()
    tally.record(1_000, 0.0, failed=False, status=200)
    assert tally.send_lag is not None
    assert recorded(tally.send_lag) == [(1, 1)]


def test_closed_model_requests_have_no_send_lag() -> None:
    tally = Tally()
    tally.record(1_000, None, failed=False, status=200)
    tally.unfinish(scheduled=False)
    assert (tally.corrected, tally.send_lag) == (None, None)
    wire = tally.to_wire()
    assert (wire["corrected"], wire["send_lag"]) == (None, None)
    assert Tally.from_wire(wire).send_lag is None


def test_an_unfinished_request_has_no_latency_and_no_send_lag() -> None:
    # Killed at the stop, it may never have left: its "lag" would be the stop's.
    tally = Tally()
    tally.unfinish(scheduled=True)
    assert (tally.count, tally.unfinished) == (0, 1)
    assert tally.corrected is not None  # scheduled: an open-model tally all the same
    assert tally.corrected.get_total_count() == 0
    assert tally.uncorrected.get_total_count() == 0
    assert tally.send_lag is not None
    assert tally.send_lag.get_total_count() == 0


def test_a_dropped_request_was_never_sent_so_it_has_no_send_lag() -> None:
    tally = Tally()
    tally.drop()
    # Scheduled, so the histograms exist (a scheduled tally is never mistaken for a closed
    # one), but empty.
    assert tally.send_lag is not None
    assert tally.send_lag.get_total_count() == 0
    assert decode(tally.to_wire()["send_lag"] or "").get_total_count() == 0


def scheduled_requests(n: int, seed: int) -> list[tuple[float, float, bool]]:
    """(uncorrected µs, send lag µs, answered) of a generator that falls behind now and then."""
    rng = random.Random(seed)
    return [
        (
            rng.expovariate(1 / 2_000),
            rng.expovariate(1 / 300_000) if rng.random() < 0.2 else rng.uniform(0, 500),
            rng.random() < 0.9,
        )
        for _ in range(n)
    ]


def fill(tally: Tally, requests: list[tuple[float, float, bool]]) -> Tally:
    for uncorrected_us, lag_us, answered in requests:
        if answered:
            tally.record(uncorrected_us, lag_us, failed=False, status=200)
        else:
            tally.unfinish(scheduled=True)
    return tally


def over_the_wire(wire: TallyWire) -> TallyWire:
    copied: TallyWire = json.loads(json.dumps(wire))
    return copied


def test_send_lag_adds_up_losslessly_across_tallies_and_their_wire_form() -> None:
    requests = scheduled_requests(3_000, seed=5)
    whole = fill(Tally(), requests)
    parts = [fill(Tally(), requests[i::3]) for i in range(3)]

    added = Tally()
    for part in parts:
        added.add(part)
    merged = Tally.from_wire(merge_wire([over_the_wire(part.to_wire()) for part in parts]))

    assert whole.send_lag is not None
    assert whole.send_lag.get_total_count() == whole.count
    assert whole.count + whole.unfinished == 3_000
    for total in (added, merged):
        assert (total.count, total.unfinished) == (whole.count, whole.unfinished)
        assert recorded(total.send_lag) == recorded(whole.send_lag)
        assert recorded(total.corrected) == recorded(whole.corrected)
    assert over_the_wire(whole.to_wire()) == merged.to_wire()


def test_adding_closed_and_scheduled_tallies_keeps_the_send_lag_of_the_scheduled() -> None:
    closed, scheduled = Tally(), Tally()
    closed.record(1_000, None, failed=False, status=200)
    scheduled.record(1_000, 7_000, failed=False, status=200)
    total = Tally()
    total.add(closed)
    assert total.send_lag is None  # nothing scheduled yet
    total.add(scheduled)
    assert recorded(total.send_lag) == recorded(scheduled.send_lag)
    assert total.uncorrected.get_total_count() == 2
