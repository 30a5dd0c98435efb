"""From a cell's raw material to cell.json, with made-up inputs whose answers are known."""

from __future__ import annotations

from typing import Any

import pytest

from bgbench import hdr
from sweep.cell_results import CellOutcome, accounting, build, timeseries
from sweep.definition import CellSpec
from sweep.sampler import Sample

T0 = 1_800_000_000.0  # a whole second, so the arithmetic below stays readable


def encoded(*values_us: int) -> str:
    histogram = hdr.new_histogram()
    for value in values_us:
        hdr.record_us(histogram, value)
    return hdr.encode(histogram)


def client_json(requests: int, seconds: int = 10, offered: float | None = 50.0) -> dict[str, Any]:
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
                "corrected": encoded(*([1500] * requests)),
            },
            "probe/baseline-sync": {
                "count": 5,
                "failures": 0,
                "uncorrected": encoded(300, 300, 300, 300, 9000),
                "corrected": None,
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
            }
            for s in range(seconds)
        ],
    }


def window(second: float, completed: int, in_flight: int, lag_us: int = 50_000) -> Sample:
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
        },
        server_cpu=20.0,
        loadgen_cpu=30.0,
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
    cell, histograms, rows = build(outcome(client_json(500), samples))
    assert cell["status"] == "ok"
    assert cell["flags"] == []
    client = cell["client"]
    assert client["requests"] == 500
    assert client["achieved_rps"] == 50.0
    assert client["latency_us"]["p50"] == 1000
    assert client["latency_corrected_us"]["p50"] == 1500
    assert client["probe"]["requests"] == 5
    assert client["probe"]["latency_us"]["max"] == pytest.approx(9000, rel=1e-3)
    # The warm-up window is left out: 11 windows of 50 completions.
    assert cell["server"]["tasks"]["executor/sleep"]["completed"] == 550
    assert cell["server"]["gauges_max"]["in_flight"] == 2
    assert cell["server"]["cpu_percent"] == 20.0
    assert cell["loadgen"] == {
        "cpu_percent": 30.0,
        "cpu_percent_max": 30.0,
        "processes": 1,
        "cores": 1,
        "saturated": False,
        "saturation_reasons": [],
    }
    assert cell["accounting"]["lost"] == 0
    assert set(histograms["client"]) == {"/executor", "probe/baseline-sync"}
    assert (
        hdr.decode(histograms["server"]["executor/sleep"]["completion_lag_us"]).get_total_count()
        == 550
    )
    assert [row["t_s"] for row in rows] == list(range(11))
    assert rows[0]["achieved_rps"] == 50
    assert rows[0]["backlog"] == 2
    assert rows[10]["offered_rps"] == 0  # the drain second, after the load


def test_a_busy_load_generator_or_a_shortfall_flags_the_cell_saturated() -> None:
    busy = [window(T0 + s, 50, 0) for s in range(10)]
    for sample in busy:
        sample.loadgen_cpu = 97.0
    cell, _, _ = build(outcome(client_json(500), busy))
    assert cell["status"] == "ok"
    assert cell["loadgen"]["saturated"] is True
    assert cell["loadgen"]["saturation_reasons"] == ["cpu>90%"]
    assert "saturated" in cell["flags"]

    # 400 answered in 10 s, 100 more still out at the end: 40 of the 50/s scheduled.
    behind = client_json(400)
    behind["unfinished"] = 100
    short, _, _ = build(outcome(behind, [window(T0 + s, 40, 0) for s in range(10)]))
    assert short["client"]["scheduled_rps"] == 50.0
    assert short["loadgen"]["saturation_reasons"] == ["achieved<95%scheduled"]


def test_poisson_arrivals_below_the_offered_rate_are_not_a_shortfall() -> None:
    # 46/s offered 50/s, every one answered: the schedule drew fewer arrivals, nothing fell behind.
    cell, _, _ = build(outcome(client_json(460), [window(T0 + s, 46, 0) for s in range(10)]))
    assert (cell["client"]["achieved_rps"], cell["client"]["scheduled_rps"]) == (46.0, 46.0)
    assert cell["loadgen"]["saturated"] is False


def test_load_processes_are_judged_by_the_cores_they_share() -> None:
    samples = [window(T0 + s, 50, 0) for s in range(10)]
    for sample in samples:
        sample.loadgen_cpu = 150.0  # two Locust processes, 75 % of a core each
    on_two, _, _ = build(outcome(client_json(500), samples, load_processes=2, loadgen_cores=2))
    assert (on_two["loadgen"]["cpu_percent"], on_two["loadgen"]["cores"]) == (75.0, 2)
    assert on_two["loadgen"]["saturated"] is False
    for sample in samples:
        sample.loadgen_cpu = 95.0  # two processes squeezed onto one core
    on_one, _, _ = build(outcome(client_json(500), samples, load_processes=2, loadgen_cores=1))
    assert (on_one["loadgen"]["cpu_percent"], on_one["loadgen"]["cores"]) == (95.0, 1)
    assert on_one["loadgen"]["saturation_reasons"] == ["cpu>90%"]


def test_unbalanced_accounting_makes_the_cell_invalid() -> None:
    final = {"totals": {**TOTALS, "completed": 495}, "shutdown": {"drained": True}}
    cell, _, _ = build(outcome(client_json(500), [], final=final))
    assert cell["status"] == "invalid"
    assert cell["reason"] == "accounting does not balance: 3 tasks unaccounted for"


def test_a_failure_wins_over_everything_and_keeps_what_was_measured() -> None:
    cell, _, _ = build(outcome(client_json(500), [], failure="the target app died"))
    assert cell["status"] == "failed"
    assert cell["reason"] == "the target app died"
    assert cell["client"]["requests"] == 500


def test_without_client_results_the_cell_failed() -> None:
    cell, _, rows = build(outcome(None, []))
    assert (cell["status"], cell["reason"]) == ("failed", "the load generator left no results")
    assert rows == []


def test_accounting_falls_back_to_the_windows_when_the_app_died() -> None:
    samples = [window(T0 + s, 50, 1) for s in range(3)]  # each window: 51 enqueued, 50 done
    result = accounting(None, None, samples)
    assert result["source"] == "windows"
    assert result["enqueued"] == 153
    assert result["lost"] == 3
    assert result["balanced"] is False


def test_partial_seconds_at_either_end_of_the_load_are_left_out() -> None:
    client = client_json(500)
    client["measure_from"] = T0 + 0.4
    client["stopped_at"] = T0 + 10.4
    rows = timeseries(client, [], 50.0)
    # Seconds T0+1 .. T0+9 are whole; T0 started before the measurement, T0+10 was cut short.
    assert [row["t_s"] for row in rows] == list(range(9))
