"""From a cell's raw material to cell.json, with made-up inputs whose answers are known."""

from __future__ import annotations

from typing import Any

import pytest

from bgbench import hdr, trust
from bgbench.results import names
from bgbench.results.model import HarnessShare, LoadGen, QueueWorker
from sweep.cell_results import CellOutcome, accounting, build, timeseries
from sweep.definition import CellSpec
from sweep.interference import Interference
from sweep.sampler import Sample

T0 = 1_800_000_000.0  # a whole second, so the arithmetic below stays readable


def encoded(*values_us: int) -> str:
    histogram = hdr.new_histogram()
    for value in values_us:
        hdr.record_us(histogram, value)
    return hdr.encode(histogram)


def client_json(
    requests: int, seconds: int = 10, offered: float | None = 50.0, send_lag_us: int = 500
) -> dict[str, Any]:
    per_second = requests // seconds
    return {
        "offered_rps": offered,
        "measure_from": T0,
        "stopped_at": T0 + seconds,
        "dropped": 0,
        "probe": "probe/baseline-sync",
        "requests": {
            "/executor": {
                "count": requests,
                "failures": 0,
                "uncorrected": encoded(*([1000] * requests)),
                "corrected": encoded(*([1000 + send_lag_us] * requests)),
                "send_lag": encoded(*([send_lag_us] * requests)),
            },
            "probe/baseline-sync": {
                "count": 5,
                "failures": 0,
                "uncorrected": encoded(300, 300, 300, 300, 9000),
                "corrected": None,
                "send_lag": None,
            },
        },
        "per_second": [
            {
                "second": int(T0) + s,
                "requests": per_second,
                "failures": 0,
                "dropped": 0,
                "uncorrected": encoded(*([1000] * per_second)),
                "corrected": None,
                "send_lag": encoded(*([send_lag_us] * per_second)),
            }
            for s in range(seconds)
        ],
    }


def window(
    second: float,
    completed: int,
    in_flight: int,
    lag_us: int = 50_000,
    server: dict[str, str] | None = None,
    interference: Interference | None = None,
) -> Sample:
    task = {
        "enqueued": completed + 1,
        "started": completed,
        "completed": completed,
        "failed": 0,
        "not_run": 0,
        "rejected": 0,
        "queue_wait_us": encoded(*([10] * completed)),
        "run_time_us": encoded(*([lag_us] * completed)),
        "completion_lag_us": encoded(*([lag_us] * completed)),
    }
    return Sample(
        at=second + 1,
        window={
            "since": second,
            "until": second + 1,
            "tasks": {"executor/sleep": task},
            "gauges": {
                "in_flight": in_flight,
                "executor_queue_depth": in_flight - 1,
                "threadpool_tokens_in_use": 0,
            },
            "event_loop_lag_us": encoded(100, 200),
            "server_latency_us": {"/baseline-sync": encoded(300), **(server or {})},
        },
        server_cpu=20.0,
        loadgen_cpu=30.0,
        interference=interference,
    )


TOTALS = {
    "enqueued": 500,
    "started": 500,
    "completed": 498,
    "failed": 1,
    "not_run": 1,
    "rejected": 0,
    "in_flight": 0,
}


def outcome(client: dict[str, Any] | None, samples: list[Sample], **changes: Any) -> CellOutcome:
    fields: dict[str, Any] = {
        "spec": CellSpec(strategy="executor", rate=50.0, workers=1),
        "cell_id": "000-x",
        "index": 0,
        "started_at": "s",
        "finished_at": "f",
        "client": client,
        "samples": samples,
        "final": {"totals": TOTALS, "shutdown": {"drained": True}},
        "snapshot": None,
        "locust": None,
        "failure": None,
        "pinning": {},
    }
    fields.update(changes)
    return CellOutcome(**fields)


def test_a_good_cell_is_ok_with_its_client_and_server_numbers() -> None:
    # A warm-up window (before T0), ten measured ones, one after the load (the drain).
    samples = [window(T0 - 1, 99, 3)] + [window(T0 + s, 50, 2) for s in range(11)]
    cell = build(outcome(client_json(500), samples))
    assert cell.status == "ok"
    assert cell.flags == ()
    client = cell.client
    assert client is not None
    assert client.requests == 500
    assert client.achieved_rps == 50.0
    assert client.latency.p50 == 1000
    assert client.latency_corrected is not None
    assert client.latency_corrected.p50 == 1500
    assert client.send_lag is not None
    assert client.send_lag.p99 == 500
    assert client.probe is not None
    assert client.probe.requests == 5
    assert client.probe.latency.max == pytest.approx(9000, rel=1e-3)
    # The warm-up window is left out: 11 windows of 50 completions.
    assert cell.server is not None
    assert cell.server.tasks["executor/sleep"].completed == 550
    assert cell.server.gauges_max["in_flight"] == 2
    assert cell.server.cpu_percent == 20.0
    assert cell.loadgen == LoadGen(cpu_percent=30.0, cpu_percent_max=30.0, processes=1, cores=1)
    assert cell.accounting is not None
    assert cell.accounting.lost == 0
    assert cell.histograms is not None
    assert set(cell.histograms.client) == {"/executor", "probe/baseline-sync"}
    lag = cell.histograms.server["executor/sleep"]["completion_lag_us"]
    assert hdr.decode(lag).get_total_count() == 550
    series = cell.timeseries
    assert series is not None
    assert list(series.columns["t_s"]) == list(range(11))
    assert series.columns["achieved_rps"][0] == 50
    assert series.columns["send_lag_p99_us"][0] == 500
    assert series.columns["backlog"][0] == 2
    assert series.columns["offered_rps"][10] == 0  # the drain second, after the load


def test_each_seconds_histograms_merge_into_the_cells() -> None:
    samples = [window(T0 - 1, 99, 3)] + [window(T0 + s, 50, 2) for s in range(11)]
    client = client_json(500)
    client["per_second_probe"] = [
        {"second": int(T0) + 3, "requests": 2, "failures": 0, "uncorrected": encoded(300, 9000)}
    ]
    cell = build(outcome(client, samples))
    assert cell.histograms is not None
    per_second = cell.histograms.per_second
    # Ten seconds of requests, eleven measured windows (the last one the drain), and the
    # warm-up's window left out, as the cell's own histograms leave it out.
    assert per_second.seconds == tuple(int(T0) + s for s in range(11))
    assert set(per_second.series) == set(names.SECOND_SERIES)
    response = [e for e in per_second.of(names.RESPONSE) if e]
    assert len(response) == 10
    assert hdr.merge(response).get_total_count() == 500
    assert per_second.of(names.RESPONSE)[10] is None  # the drain: no requests
    lag = [e for e in per_second.of(names.COMPLETION_LAG) if e]
    merged_lag = hdr.merge(lag)
    whole_lag = hdr.decode(cell.histograms.server["executor/sleep"]["completion_lag_us"])
    assert merged_lag.get_total_count() == whole_lag.get_total_count() == 550
    assert hdr.percentile(merged_lag, 99) == hdr.percentile(whole_lag, 99)
    probe = per_second.of(names.PROBE)
    assert [i for i, e in enumerate(probe) if e] == [3]
    # The server's clock for the load: the probe's route (/baseline-sync) is not the load's.
    assert all(e is None for e in per_second.of(names.SERVER))
    assert all(e is not None for e in per_second.of(names.EVENT_LOOP_LAG))


def test_the_server_clock_and_the_harness_share_come_from_the_apps_own_timer() -> None:
    samples = [window(T0 + s, 50, 0, server={"/executor": encoded(*[600] * 50)}) for s in range(10)]
    cell = build(outcome(client_json(500), samples))
    assert cell.server is not None
    assert cell.server.latency is not None
    # The probe's route is not the load's: its 300 µs requests stay out of the server clock.
    assert (cell.server.latency.count, cell.server.latency.p50) == (500, 600)
    assert cell.harness == HarnessShare(p50_us=1000 - 600, p99_us=1000 - 600)
    assert cell.timeseries is not None
    assert cell.timeseries.columns["server_p50_us"][0] == 600


def test_a_busy_load_generator_or_a_shortfall_flags_the_cell_saturated() -> None:
    busy = [window(T0 + s, 50, 0) for s in range(10)]
    for sample in busy:
        sample.loadgen_cpu = 97.0
    cell = build(outcome(client_json(500), busy))
    assert cell.status == "ok"
    assert cell.flags == ("saturated",)
    assert cell.flag_reasons["saturated"] == "load generator CPU 97% of its 1 core(s), above 90%"

    # 400 answered in 10 s, 100 more still out at the end: 40 of the 50/s scheduled.
    behind = client_json(400)
    behind["unfinished"] = 100
    short = build(outcome(behind, [window(T0 + s, 40, 0) for s in range(10)]))
    assert short.client is not None
    assert short.client.scheduled_rps == 50.0
    assert short.flags == ("saturated", "unfinished")
    assert short.flag_reasons["saturated"] == "40 req/s answered of 50 scheduled (80%, under 95%)"


def test_a_schedule_that_fell_behind_the_offered_rate_cannot_hide() -> None:
    # The schedule itself sent 74% of the offered rate, every one answered on time: judged
    # against what it sent, nothing is short; against what was offered, it is.
    lagging = client_json(370)
    lagging["offered_rps"] = 50.0
    cell = build(outcome(lagging, [window(T0 + s, 37, 0) for s in range(10)]))
    assert cell.client is not None
    assert cell.client.achieved_rps == cell.client.scheduled_rps == 37.0
    assert cell.flags == ("saturated",)
    assert cell.flag_reasons["saturated"] == (
        "the schedule fell behind: 370 requests sent of 500 offered (74%), more than 1% (6) "
        "explains"
    )


def test_poisson_arrivals_below_the_offered_rate_are_not_a_shortfall() -> None:
    # 46/s offered 50/s: 460 of 500 is within Poisson's 3σ (67) of what the rate asks for.
    spec = CellSpec(strategy="executor", rate=50.0, workers=1, arrival="poisson")
    samples = [window(T0 + s, 46, 0) for s in range(10)]
    cell = build(outcome(client_json(460), samples, spec=spec))
    assert cell.client is not None
    assert (cell.client.achieved_rps, cell.client.scheduled_rps) == (46.0, 46.0)
    assert cell.flags == ()
    # The same shortfall with constant arrivals is the generator falling behind.
    assert build(outcome(client_json(460), samples)).flags == ("saturated",)


def test_late_sends_flag_the_cell_generator_late() -> None:
    late = client_json(500, send_lag_us=40_000)
    cell = build(outcome(late, [window(T0 + s, 50, 0) for s in range(10)]))
    assert cell.flags == ("generator_late",)
    assert cell.flag_reasons["generator_late"].startswith(
        "sends ran late: send-lag p99 40 ms (max 40 ms) above 1 ms = max(1 ms, 10% of the p50 1 ms)"
    )


def test_other_processes_on_the_cells_cores_flag_interference() -> None:
    quiet = Interference(2.0, 3.0, 0.0, 0.0)
    busy = Interference(65.0, 3.0, 0.0, 0.0)
    samples = [window(T0 + s, 50, 0, interference=quiet) for s in range(10)]
    assert build(outcome(client_json(500), samples)).flags == ()
    for sample in samples[5:]:
        sample.interference = busy
    cell = build(outcome(client_json(500), samples))
    assert cell.flags == ("interference",)
    assert cell.interference is not None
    assert cell.interference.server_foreign_percent == 33.5
    assert cell.flag_reasons["interference"] == (
        "server cores: 34% of a core used by other processes (worst second 65%)"
    )
    stolen = [window(T0 + s, 50, 0, interference=Interference(0, 0, 5.0, 0)) for s in range(10)]
    stolen_cell = build(outcome(client_json(500), stolen))
    assert stolen_cell.flag_reasons["interference"] == "5.0% of the server core stolen"


def test_load_processes_are_judged_by_the_cores_they_share() -> None:
    samples = [window(T0 + s, 50, 0) for s in range(10)]
    for sample in samples:
        sample.loadgen_cpu = 150.0  # two Locust processes, 75 % of a core each
    on_two = build(outcome(client_json(500), samples, load_processes=2, loadgen_cores=2))
    assert on_two.loadgen is not None
    assert (on_two.loadgen.cpu_percent, on_two.loadgen.cores) == (75.0, 2)
    assert on_two.flags == ()
    for sample in samples:
        sample.loadgen_cpu = 95.0  # two processes squeezed onto one core
    on_one = build(outcome(client_json(500), samples, load_processes=2, loadgen_cores=1))
    assert on_one.loadgen is not None
    assert (on_one.loadgen.cpu_percent, on_one.loadgen.cores) == (95.0, 1)
    assert on_one.flags == ("saturated",)


def test_unbalanced_accounting_makes_the_cell_invalid() -> None:
    final = {"totals": {**TOTALS, "completed": 495}, "shutdown": {"drained": True}}
    cell = build(outcome(client_json(500), [], final=final))
    assert cell.status == "invalid"
    assert cell.reason == "accounting does not balance: 3 tasks unaccounted for"


def test_a_failure_wins_over_everything_and_keeps_what_was_measured() -> None:
    cell = build(outcome(client_json(500), [], failure="the target app died"))
    assert cell.status == "failed"
    assert cell.reason == "the target app died"
    assert cell.client is not None
    assert cell.client.requests == 500


def test_without_client_results_the_cell_failed() -> None:
    cell = build(outcome(None, []))
    assert (cell.status, cell.reason) == ("failed", "the load generator left no results")
    assert (cell.histograms, cell.timeseries) == (None, None)  # cell.json alone is written


def test_accounting_falls_back_to_the_windows_when_the_app_died() -> None:
    samples = [window(T0 + s, 50, 1) for s in range(3)]  # each window: 51 enqueued, 50 done
    result = accounting(None, None, samples)
    assert result.source == "windows"
    assert result.enqueued == 153
    assert result.lost == 3
    assert result.balanced is False


def test_accounting_reads_the_last_snapshot_when_the_app_left_no_last_words() -> None:
    # It answered /metrics after the drain, then died before writing its final report.
    samples = [window(T0 + s, 50, 1) for s in range(3)]
    snapshot = {"totals": {**TOTALS, "completed": 497, "not_run": 2}}
    result = accounting(None, snapshot, samples)
    assert result.source == "last_snapshot"
    assert (result.enqueued, result.completed, result.not_run) == (500, 497, 2)
    assert (result.lost, result.balanced) == (0, True)
    # Its last words win over both: written after the drain, they are the whole story.
    final = {"totals": {**TOTALS, "completed": 490}}
    assert accounting(final, snapshot, samples).source == "final"
    assert accounting(final, snapshot, samples).lost == 8


def test_a_snapshot_taken_with_work_in_flight_does_not_balance() -> None:
    snapshot = {"totals": {**TOTALS, "completed": 490, "in_flight": 8}}
    cell = build(outcome(client_json(500), [], final=None, snapshot=snapshot))
    assert cell.accounting is not None
    assert (cell.accounting.source, cell.accounting.lost) == ("last_snapshot", 8)
    assert cell.status == "invalid"
    assert cell.reason == "accounting does not balance: 8 tasks unaccounted for"


def test_a_drain_that_timed_out_is_flagged_and_the_cell_stays_usable() -> None:
    # Work still queued at the drain timeout is recorded as not run: it balances, and the
    # flag tells the reader the backlog outlived the cell.
    final = {
        "totals": {**TOTALS, "completed": 400, "not_run": 99},
        "shutdown": {"drained": False},
    }
    samples = [window(T0 + s, 50, 0) for s in range(10)]
    cell = build(outcome(client_json(500), samples, final=final))
    assert cell.status == "ok"
    assert cell.flags == ("drain_timeout",)
    assert cell.flag_reasons["drain_timeout"] == "the app's drain timed out at shutdown"
    assert cell.accounting is not None
    assert cell.accounting.balanced
    assert trust.problems(cell) == ()  # a result of the system under test, not a fault


def test_partial_seconds_at_either_end_of_the_load_are_left_out() -> None:
    client = client_json(500)
    client["measure_from"] = T0 + 0.4
    client["stopped_at"] = T0 + 10.4
    series = timeseries(client, [], 50.0)
    # Seconds T0+1 .. T0+9 are whole; T0 started before the measurement, T0+10 was cut short.
    assert list(series.columns["t_s"]) == list(range(9))


def _worker(count: int, lag_us: int, cpu_percent: float) -> dict[str, Any]:
    """A worker's client.json entry: its tally and CPU reports every 3 s, the first in the
    warm-up (left out by the midpoint rule) at 100%."""
    reports = [{"since": T0 - 3, "until": T0, "cpu_s": 3.0}]
    reports += [
        {"since": T0 + s, "until": T0 + s + 3, "cpu_s": 3 * cpu_percent / 100} for s in (0, 3, 6)
    ]
    reports.append({"since": T0 + 9, "until": T0 + 10, "cpu_s": cpu_percent / 100})
    # The last report, at the stop, milliseconds after the one before: busy with its own
    # encoding, too short to be the worker's busiest.
    reports.append({"since": T0 + 10, "until": T0 + 10.01, "cpu_s": 0.007})
    tally = {"count": count, "send_lag": encoded(*([lag_us] * count))}
    return {"tally": tally, "cpu": reports}


def test_each_locust_worker_is_recorded_and_judged_by_name() -> None:
    samples = [window(T0 + s, 50, 0) for s in range(10)]
    quiet = {**client_json(500), "per_worker": {"h_a": _worker(250, 500, 40.0)}}
    quiet["per_worker"]["h_b"] = _worker(250, 600, 45.0)
    cell = build(outcome(quiet, samples))
    assert cell.flags == ()
    assert cell.loadgen is not None
    assert cell.client is not None
    workers = cell.loadgen.locust_workers
    assert [w.id for w in workers] == ["h_a", "h_b"]
    assert sum(w.requests for w in workers) == cell.client.requests == 500
    assert [(w.cpu_percent, w.cpu_percent_max) for w in workers] == [(40.0, 40.0), (45.0, 45.0)]
    assert workers[1].send_lag is not None
    assert workers[1].send_lag.p99 == pytest.approx(600, rel=0.01)

    # The merged send lag is on time, but one of two workers sent 40 ms late and the other
    # ran its core flat out: both flags, each reason naming the worker.
    mixed = {**client_json(500), "per_worker": {"h_a": _worker(250, 500, 97.0)}}
    mixed["per_worker"]["h_b"] = _worker(5, 40_000, 30.0)
    cell = build(outcome(mixed, samples))
    assert cell.flags == ("saturated", "generator_late")
    assert cell.flag_reasons["saturated"] == (
        "Locust worker h_a: CPU 97% of its core (busiest report 97%), above 90%"
    )
    assert cell.flag_reasons["generator_late"].startswith(
        "Locust worker h_b sent late: send-lag p99 40 ms (max 40 ms) above 1 ms"
    )


def test_a_cell_without_workers_lists_none() -> None:
    cell = build(outcome(client_json(500), [window(T0 + s, 50, 0) for s in range(10)]))
    assert cell.loadgen is not None
    assert cell.loadgen.locust_workers == ()


def _queue_worker(held_at_stop: int | None, started_after_drain: int | None = 0) -> QueueWorker:
    return QueueWorker(
        "rq",
        "redis",
        1,
        "worker processes",
        None,
        None,
        held_at_stop=held_at_stop,
        started_after_drain=started_after_drain,
    )


def test_tasks_that_never_started_and_that_the_broker_no_longer_holds_are_its_loss() -> None:
    final = {"totals": {**TOTALS, "completed": 300, "failed": 0, "not_run": 200}}
    # Redis restarted empty: of the 200 the app never saw start, the broker kept 30.
    counts = accounting(final, None, [], _queue_worker(held_at_stop=30))
    assert (counts.not_run, counts.lost_in_broker, counts.lost) == (30, 170, 0)
    assert counts.balanced is True  # every task accounted for: the broker's loss is named
    # A broker holding all of them (or more: started ones it keeps unacked) lost none.
    for held in (200, 210):
        counts = accounting(final, None, [], _queue_worker(held_at_stop=held))
        assert (counts.not_run, counts.lost_in_broker) == (200, 0)
    # Not counted (no broker, or it did not answer): not_run as the app said it.
    for worker in (None, _queue_worker(held_at_stop=None)):
        counts = accounting(final, None, [], worker)
        assert (counts.not_run, counts.lost_in_broker) == (200, None)


def test_tasks_the_worker_started_after_the_drain_are_not_the_brokers_loss() -> None:
    final = {"totals": {**TOTALS, "completed": 300, "failed": 0, "not_run": 200}}
    # The broker holds 190: the worker, still running after the app, took 10 more.
    counts = accounting(final, None, [], _queue_worker(held_at_stop=190, started_after_drain=10))
    assert (counts.not_run, counts.lost_in_broker, counts.lost) == (200, 0, 0)
    # Not counted (no events left to read, or the count failed): all 10 look lost.
    for late in (0, None):
        counts = accounting(final, None, [], _queue_worker(190, started_after_drain=late))
        assert (counts.not_run, counts.lost_in_broker) == (190, 10)


def test_rejected_tasks_never_reached_the_broker() -> None:
    final = {"totals": {**TOTALS, "completed": 300, "failed": 0, "not_run": 200, "rejected": 50}}
    counts = accounting(final, None, [], _queue_worker(held_at_stop=150))
    assert (counts.not_run, counts.lost_in_broker) == (200, 0)
