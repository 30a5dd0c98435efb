"""From what a cell produced (the load generator's client.json, the per-second samples of the
app, its final metrics) to what the results store: cell.json, histograms.json and the
per-second time series. Pure functions: no processes, no clocks, no files."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from hdrh.histogram import HdrHistogram

from bgbench import hdr
from bgbench.results import names
from sweep.definition import CellSpec
from sweep.sampler import Sample

COUNTERS = ("enqueued", "started", "completed", "failed", "not_run", "rejected")
TIMINGS = ("queue_wait_us", "run_time_us", "completion_lag_us")
GAUGES = (
    "in_flight",
    "executor_queue_depth",
    "threadpool_tokens_in_use",
    "threadpool_tokens_in_use_max",
)
SATURATION_CPU_PERCENT = 90.0
SATURATION_SHORTFALL = 0.95


@dataclass
class CellOutcome:
    """Everything a finished (or broken) cell left behind."""

    spec: CellSpec
    cell_id: str
    index: int
    started_at: str
    finished_at: str
    client: dict[str, Any] | None
    samples: Sequence[Sample]
    final: dict[str, Any] | None
    snapshot: dict[str, Any] | None
    locust: dict[str, Any] | None
    failure: str | None
    pinning: dict[str, Any]
    load_processes: int = 1
    loadgen_cores: int = 1  # the cores the load generator may use (its pinning)


def _measured(samples: Iterable[Sample], measure_from: float) -> list[Sample]:
    """Samples whose window lies mostly after the warm-up (the midpoint rule)."""
    chosen = []
    for sample in samples:
        window = sample.window
        if window is not None and (window["since"] + window["until"]) / 2 >= measure_from:
            chosen.append(sample)
    return chosen


def merge_server_windows(samples: Iterable[Sample]) -> dict[str, dict[str, Any]]:
    """Per task key: counters summed and histograms merged (losslessly) over the windows."""
    merged: dict[str, dict[str, Any]] = {}
    for sample in samples:
        assert sample.window is not None
        for key, task in sample.window["tasks"].items():
            into = merged.setdefault(
                key, {**dict.fromkeys(COUNTERS, 0), **{t: hdr.new_histogram() for t in TIMINGS}}
            )
            for counter in COUNTERS:
                into[counter] += int(task.get(counter, 0))
            for timing in TIMINGS:
                into[timing].add(hdr.decode(task[timing]))
    return merged


def _summaries(merged: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {
        key: {
            **{c: task[c] for c in COUNTERS},
            **{t: hdr.summarize(task[t]) for t in TIMINGS},
        }
        for key, task in merged.items()
    }


def _percent(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def _merge_requests(requests: dict[str, Any], names: Iterable[str], field: str) -> HdrHistogram:
    return hdr.merge(
        requests[name][field] for name in names if requests[name].get(field) is not None
    )


def client_summary(client: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    requests: dict[str, Any] = client["requests"]
    probe = client.get("probe")
    main = [name for name in requests if name != probe]
    measured_s = max(client["stopped_at"] - client["measure_from"], 1e-9)
    count = sum(int(requests[n]["count"]) for n in main)
    dropped, unfinished = int(client.get("dropped", 0)), int(client.get("unfinished", 0))
    offered = client.get("offered_rps")
    uncorrected = _merge_requests(requests, main, "uncorrected")
    corrected = _merge_requests(requests, main, "corrected")
    summary: dict[str, Any] = {
        "requests": count,
        "failures": sum(int(requests[n]["failures"]) for n in main),
        "dropped": dropped,
        # Sent but unanswered when the load stopped: the percentiles leave them out.
        "unfinished": unfinished,
        # Locust workers whose last report never reached the master.
        "incomplete_workers": len(client.get("incomplete", [])),
        "offered_rps": offered,
        # What the schedule asked for in the measured phase: Poisson arrivals wander a few
        # per cent around the offered rate, so a shortfall is judged against this.
        "scheduled_rps": round((count + dropped + unfinished) / measured_s, 2) if offered else None,
        "achieved_rps": round(count / measured_s, 2),
        "duration_s": round(measured_s, 3),
        "latency_us": hdr.summarize(uncorrected),
        "latency_corrected_us": hdr.summarize(corrected) if corrected.get_total_count() else None,
        "probe": None,
    }
    if probe in requests:
        probe_count = int(requests[probe]["count"])
        summary["probe"] = {
            "name": probe,
            "requests": probe_count,
            "failures": int(requests[probe]["failures"]),
            "achieved_rps": round(probe_count / measured_s, 2),
            "latency_us": hdr.summarize(_merge_requests(requests, [probe], "uncorrected")),
        }
    encoded = {
        name: {"uncorrected": data.get("uncorrected"), "corrected": data.get("corrected")}
        for name, data in requests.items()
    }
    return summary, encoded


def accounting(
    final: dict[str, Any] | None, snapshot: dict[str, Any] | None, samples: Sequence[Sample]
) -> dict[str, Any]:
    """Every task completed, failed or not run — or lost. From the app's final report when it
    could write one; else from its last /metrics; else (it died) from the windows sampled
    since the load began, where whatever was still in flight counts as lost."""
    if final is not None:
        source, totals = "final", final["totals"]
    elif snapshot is not None:
        source, totals = "last_snapshot", snapshot["totals"]
    else:
        merged = merge_server_windows(s for s in samples if s.window is not None)
        source = "windows"
        totals = {c: sum(task[c] for task in merged.values()) for c in COUNTERS}
    lost = totals["enqueued"] - totals["completed"] - totals["failed"] - totals["not_run"]
    return {
        **{c: totals[c] for c in COUNTERS},
        "lost": lost,
        "balanced": lost == 0,
        "source": source,
    }


def loadgen(
    measured: Sequence[Sample], client: dict[str, Any], processes: int, cores: int
) -> dict[str, Any]:
    """How busy the load generator was, per core it could use: N Locust processes on fewer
    cores share them, so it is their sum over those cores that says whether they ran out."""
    usable = max(1, min(processes, cores))
    cpu = [s.loadgen_cpu / usable for s in measured if s.loadgen_cpu is not None]
    mean = _percent(cpu)
    reasons = []
    if mean is not None and mean > SATURATION_CPU_PERCENT:
        reasons.append(f"cpu>{SATURATION_CPU_PERCENT:g}%")
    scheduled = client.get("scheduled_rps")
    if scheduled and client["achieved_rps"] < SATURATION_SHORTFALL * scheduled:
        reasons.append(f"achieved<{SATURATION_SHORTFALL:.0%}scheduled")
    return {
        "cpu_percent": mean,
        "cpu_percent_max": round(max(cpu), 1) if cpu else None,
        "processes": processes,
        "cores": usable,
        "saturated": bool(reasons),
        "saturation_reasons": reasons,
    }


def _quantile(histogram: HdrHistogram, percentile: float) -> int | None:
    if histogram.get_total_count() == 0:
        return None
    return int(histogram.get_value_at_percentile(percentile))


def timeseries(
    client: dict[str, Any], samples: Sequence[Sample], offered: float | None
) -> list[dict[str, Any]]:
    """One row per whole second, from the first full second of the measured phase to the end
    of the drain; the seconds the load only partly covered are left out, so a rate is never
    read off a fraction of a second."""
    first = math.ceil(client["measure_from"])
    load_end = math.floor(client["stopped_at"])
    last_partial = math.ceil(client["stopped_at"])
    per_second = {int(row["second"]): row for row in client.get("per_second", [])}
    probe_seconds = {int(row["second"]): row for row in client.get("per_second_probe", [])}
    windows = {math.floor(s.window["since"] + 0.5): s for s in samples if s.window is not None}
    seconds = [
        s
        for s in sorted(set(per_second) | set(windows))
        if s >= first and not load_end <= s < last_partial
    ]
    rows = []
    for second in seconds:
        row: dict[str, Any] = dict.fromkeys(names.TIMESERIES_COLUMNS)
        row["t_s"] = second - first
        loaded = second < load_end
        row["offered_rps"] = offered if loaded and offered else (0 if not loaded else None)
        client_row = per_second.get(second)
        if client_row is not None:
            latency = hdr.decode(client_row["uncorrected"])
            row["achieved_rps"] = client_row["requests"]
            row["failures"] = client_row["failures"]
            row["dropped"] = client_row.get("dropped", 0)
            row["p50_us"] = _quantile(latency, 50)
            row["p99_us"] = _quantile(latency, 99)
            if client_row.get("corrected"):
                row["p99_corrected_us"] = _quantile(hdr.decode(client_row["corrected"]), 99)
        elif not loaded:
            row["achieved_rps"] = 0
        probe_row = probe_seconds.get(second)
        if probe_row is not None:
            row["probe_requests"] = probe_row["requests"]
            row["probe_p99_us"] = _quantile(hdr.decode(probe_row["uncorrected"]), 99)
        sample = windows.get(second)
        if sample is not None and sample.window is not None:
            merged = merge_server_windows([sample])
            lag = hdr.new_histogram()
            for task in merged.values():
                lag.add(task["completion_lag_us"])
            gauges = sample.window["gauges"]
            row["tasks_completed"] = sum(task["completed"] for task in merged.values())
            row["completion_lag_p50_us"] = _quantile(lag, 50)
            row["completion_lag_p99_us"] = _quantile(lag, 99)
            row["backlog"] = gauges["in_flight"]
            row["executor_queue_depth"] = gauges["executor_queue_depth"]
            row["threadpool_tokens_in_use"] = gauges["threadpool_tokens_in_use"]
            row["threadpool_tokens_in_use_max"] = gauges.get("threadpool_tokens_in_use_max")
            row["event_loop_lag_p99_us"] = _quantile(
                hdr.decode(sample.window["event_loop_lag_us"]), 99
            )
        rows.append(row)
    return rows


def _server(
    measured: Sequence[Sample], final: dict[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    merged = merge_server_windows(measured)
    loop_lag = hdr.merge(s.window["event_loop_lag_us"] for s in measured if s.window)
    gauges_max = {
        gauge: max((s.window["gauges"].get(gauge, 0) for s in measured if s.window), default=None)
        for gauge in GAUGES
    }
    server = {
        "tasks": _summaries(merged),
        "event_loop_lag_us": hdr.summarize(loop_lag),
        "gauges_max": gauges_max,
        "cpu_percent": _percent([s.server_cpu for s in measured if s.server_cpu is not None]),
        "shutdown": final.get("shutdown") if final else None,
    }
    encoded = {key: {t: hdr.encode(task[t]) for t in TIMINGS} for key, task in merged.items()}
    return server, {"server": encoded, "event_loop_lag_us": hdr.encode(loop_lag)}


def build(outcome: CellOutcome) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """cell.json, histograms.json and the time series rows of one cell."""
    client = outcome.client
    cell: dict[str, Any] = {
        "schema_version": names.SCHEMA_VERSION,
        "cell_id": outcome.cell_id,
        "index": outcome.index,
        "params": outcome.spec.params(),
        "status": "ok",
        "reason": None,
        "flags": [],
        "started_at": outcome.started_at,
        "finished_at": outcome.finished_at,
        "client": None,
        "server": None,
        "loadgen": None,
        "accounting": accounting(outcome.final, outcome.snapshot, outcome.samples),
        "pinning": outcome.pinning,
    }
    histograms: dict[str, Any] = {
        "probe": client.get("probe") if client else None,
        "client": {},
        "server": {},
        "event_loop_lag_us": None,
    }
    rows: list[dict[str, Any]] = []
    if client is not None:
        measured = _measured(outcome.samples, client["measure_from"])
        cell["client"], histograms["client"] = client_summary(client)
        cell["client"]["locust"] = outcome.locust
        cell["server"], server_histograms = _server(measured, outcome.final)
        histograms.update(server_histograms)
        cell["loadgen"] = loadgen(
            measured, cell["client"], outcome.load_processes, outcome.loadgen_cores
        )
        rows = timeseries(client, outcome.samples, client.get("offered_rps"))
    cell["status"], cell["reason"], cell["flags"] = judge(cell, outcome.failure)
    return cell, histograms, rows


def judge(cell: dict[str, Any], failure: str | None) -> tuple[str, str | None, list[str]]:
    """ok, failed (something broke) or invalid (the numbers cannot be trusted), with flags."""
    flags: list[str] = []
    client, account = cell["client"], cell["accounting"]
    if client is not None:
        if cell["loadgen"]["saturated"]:
            flags.append("saturated")
        if client["failures"]:
            flags.append("errors")
        if client["dropped"]:
            flags.append("dropped")
        if client["unfinished"]:
            flags.append("unfinished")
        if client["incomplete_workers"]:
            flags.append("incomplete")
    shutdown = (cell["server"] or {}).get("shutdown")
    if shutdown and not shutdown.get("drained", True):
        flags.append("drain_timeout")
    if failure is not None:
        return "failed", failure, flags
    if client is None:
        return "failed", "the load generator left no results", flags
    if client["requests"] == 0:
        return "invalid", "no request completed in the measured phase", flags
    if not account["balanced"]:
        lost = account["lost"]
        return "invalid", f"accounting does not balance: {lost} tasks unaccounted for", flags
    return "ok", None, flags
