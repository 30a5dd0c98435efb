from __future__ import annotations

import json
import random

import pytest
from hdrh.histogram import HdrHistogram

from bgbench.hdr import decode
from loadtests.support.aggregate import Aggregate
from loadtests.support.recording import Outcome, Recorder, Snapshot
from loadtests.support.tally import TallyWire

RUN = 1000.0


def outcome(
    at: float, us: float = 100.0, *, lag_us: float | None = 0.0, name: str = "x", **kw: object
) -> Outcome:
    values: dict[str, object] = {"failed": False, "status": 200, "probe": False, **kw}
    return Outcome(name=name, at=at, uncorrected_us=us, lag_us=lag_us, **values)  # type: ignore[arg-type]


def recorded(histogram: HdrHistogram) -> list[tuple[int, int]]:
    return [
        (v.value_iterated_to, v.count_at_value_iterated_to)
        for v in histogram.get_recorded_iterator()
    ]


def hist(wire: TallyWire, key: str = "uncorrected") -> HdrHistogram:
    """One of the tally's histograms, which must be there."""
    value = wire[key]  # type: ignore[literal-required]
    assert isinstance(value, str)
    return decode(value)


def test_the_warm_up_is_counted_but_not_measured() -> None:
    recorder = Recorder(RUN, measure_from=RUN + 2)
    recorder.record(outcome(RUN + 1.9, failed=True, status=500))
    recorder.drop("x", RUN + 1.0, probe=False)
    recorder.record(outcome(RUN + 2.0, 250))
    snapshot = recorder.drain()
    assert snapshot["warmup"] == {"count": 1, "failures": 1, "dropped": 1, "unfinished": 0}
    tally = snapshot["names"]["x"]["tally"]
    assert (tally["count"], tally["failures"], tally["dropped"]) == (1, 0, 0)
    assert hist(tally).get_max_value() == hist(tally).get_min_value() == 250


def test_requests_are_filed_under_the_second_they_were_meant_for() -> None:
    recorder = Recorder(RUN, RUN)
    recorder.record(outcome(RUN + 0.99, 5_000_000))  # answered 5 s later: still second 1000
    recorder.record(outcome(RUN + 1.0))
    recorder.drop("x", RUN + 1.5, probe=False)
    seconds = dict(recorder.drain()["seconds"])
    assert sorted(seconds) == [1000, 1001]
    assert (seconds[1000]["count"], seconds[1001]["count"], seconds[1001]["dropped"]) == (1, 1, 1)
    assert hist(seconds[1000]).get_max_value() >= 5_000_000


def test_corrected_latency_and_send_lag_only_for_scheduled_requests() -> None:
    recorder = Recorder(RUN, RUN)
    recorder.record(outcome(RUN, 1_000, lag_us=4_000, name="open"))
    recorder.record(outcome(RUN, 1_000, lag_us=None, name="closed"))
    snapshot = recorder.drain()
    names = snapshot["names"]
    # 1 ms answered, sent 4 ms late; HDR keeps 3 significant figures.
    opened = names["open"]["tally"]
    assert hist(opened, "corrected").get_max_value() == pytest.approx(5_000, rel=1e-3)
    assert hist(opened, "send_lag").get_max_value() == pytest.approx(4_000, rel=1e-3)
    closed = names["closed"]["tally"]
    assert (closed["corrected"], closed["send_lag"]) == (None, None)
    # Per second, the closed request's tally is added to the open one's: the lag stays one.
    [(_, second)] = snapshot["seconds"]
    assert hist(second, "send_lag").get_total_count() == 1


def test_probe_requests_have_a_per_second_series_of_their_own() -> None:
    recorder = Recorder(RUN, RUN)
    recorder.record(outcome(RUN, name="probe/baseline-sync", probe=True))
    recorder.record(outcome(RUN + 1, name="probe/baseline-sync", probe=True))
    recorder.record(outcome(RUN, name="main"))
    snapshot = recorder.drain()
    assert snapshot["names"]["probe/baseline-sync"]["probe"] is True
    assert snapshot["names"]["main"]["probe"] is False
    assert [wire["count"] for _, wire in snapshot["seconds"]] == [1]
    assert [(s - int(RUN), w["count"]) for s, w in snapshot["probe_seconds"]] == [(0, 1), (1, 1)]


def test_unfinished_requests_are_counted_and_draining_empties_the_recorder() -> None:
    recorder = Recorder(RUN, RUN)
    recorder.unfinish("x", RUN + 3, probe=False, scheduled=True)
    assert recorder.drain()["names"]["x"]["tally"]["unfinished"] == 1
    empty = recorder.drain()
    assert (empty["names"], empty["seconds"], empty["probe_seconds"]) == ({}, [], [])


def test_unfinished_requests_add_no_send_lag_and_closed_ones_no_histogram() -> None:
    recorder = Recorder(RUN, RUN + 1)
    recorder.unfinish("open", RUN + 3, probe=False, scheduled=True)
    recorder.unfinish("open", RUN + 0.5, probe=False, scheduled=True)  # warm-up: counted only
    recorder.unfinish("closed", RUN + 3, probe=False, scheduled=False)
    snapshot = recorder.drain()
    names = snapshot["names"]
    assert names["open"]["tally"]["unfinished"] == 1
    assert hist(names["open"]["tally"], "send_lag").get_total_count() == 0
    assert names["closed"]["tally"]["send_lag"] is None
    assert snapshot["warmup"]["unfinished"] == 1


def test_snapshots_add_up_losslessly_across_processes_and_drains() -> None:
    rng = random.Random(3)
    events = [
        outcome(
            RUN + rng.uniform(0, 5),
            rng.expovariate(1 / 2_000),
            lag_us=rng.expovariate(1 / 50_000),
            failed=rng.random() < 0.1,
        )
        for _ in range(3_000)
    ]
    alone = Recorder(RUN, RUN)
    workers = [Recorder(RUN, RUN), Recorder(RUN, RUN)]
    single, merged = Aggregate(RUN), Aggregate(RUN)
    for i, event in enumerate(events):
        alone.record(event)
        workers[i % 2].record(event)
        if i % 700 == 0:  # a stats report: ship what there is so far
            for n, worker in enumerate(workers):
                merged.absorb(over_the_wire(worker.drain()), f"w{n}")
    single.absorb(alone.drain(), "local")
    for n, worker in enumerate(workers):
        merged.absorb(over_the_wire(worker.drain()), f"w{n}")

    assert set(merged.sources) == {"w0", "w1"}
    # Each worker's own share, kept apart: together exactly the merged requests.
    assert [merged.sources[w].measured.count for w in ("w0", "w1")] == [1_500, 1_500]
    for source in merged.sources.values():
        assert len(source.cpu) == 6  # one CPU report per snapshot shipped
        assert all(r["until"] >= r["since"] and r["cpu_s"] >= 0 for r in source.cpu)
    a, b = single.names["x"], merged.names["x"]
    failed = sum(event.failed for event in events)
    assert failed > 0  # the 10% of failures really drawn: their count is checked below
    assert (b.count, b.failures) == (a.count, a.failures) == (3_000, failed)
    assert recorded(b.uncorrected) == recorded(a.uncorrected)
    assert b.corrected is not None
    assert a.corrected is not None
    assert recorded(b.corrected) == recorded(a.corrected)
    assert b.send_lag is not None
    assert a.send_lag is not None
    assert a.send_lag.get_total_count() == 3_000
    assert recorded(b.send_lag) == recorded(a.send_lag)
    assert single.seconds.keys() == merged.seconds.keys()
    for second, wire in single.seconds.items():
        assert merged.seconds[second]["count"] == wire["count"]
        for key in ("uncorrected", "corrected", "send_lag"):
            assert recorded(hist(merged.seconds[second], key)) == recorded(hist(wire, key))
    assert sum(w["count"] for w in merged.seconds.values()) == 3_000
    assert sum(hist(w, "send_lag").get_total_count() for w in merged.seconds.values()) == 3_000


def over_the_wire(snapshot: Snapshot) -> Snapshot:
    """msgpack, like JSON, turns tuples into lists."""
    copied: Snapshot = json.loads(json.dumps(snapshot))
    return copied


def test_a_snapshot_of_another_run_is_refused() -> None:
    recorder = Recorder(RUN - 60, RUN - 60)
    recorder.record(outcome(RUN))
    aggregate = Aggregate(RUN)
    assert not aggregate.absorb(recorder.drain(), "w0")
    assert (aggregate.names, aggregate.sources) == ({}, {})


def test_a_drain_yields_between_tallies() -> None:
    # The load generator's loop must get to send between encodings (about 1 ms each), not
    # wait for a whole drain (about 10 ms at 100 req/s): the drain pauses after every tally.
    recorder = Recorder(run=1.0, measure_from=0.0)
    for second in range(3):
        for name in ("/a", "/b"):
            recorder.record(Outcome(name, 10.0 + second, 1000.0, 50.0, False, 200, False))
    pauses: list[int] = []
    snapshot = recorder.drain(pause=lambda: pauses.append(1))
    # Two names and three seconds: a tally per name, and one per second.
    assert len(pauses) == len(snapshot["names"]) + len(snapshot["seconds"]) == 2 + 3
