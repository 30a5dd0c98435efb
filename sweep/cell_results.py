"""From what a cell produced (the load generator's client.json, the per-second samples of the
app and of the machine, the app's final metrics) to the typed `Cell` the results store, its
trust judged by `bgbench.trust`. Pure functions: no processes, no clocks, no files."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from hdrh.histogram import HdrHistogram

from bgbench import hdr, trust
from bgbench.contract import COUNTERS, PROBE_ROUTE, TIMINGS
from bgbench.results import names
from bgbench.results.model import (
    Accounting,
    Cell,
    ClientHistograms,
    ClientMetrics,
    HarnessShare,
    Histograms,
    Interference,
    LoadGen,
    LocustWorker,
    Probe,
    QueueWorker,
    Resources,
    SecondHistograms,
    ServerMetrics,
    Summary,
    TaskStats,
    TimeSeries,
)
from bgbench.results.names import SCHEMA_VERSION, TIMESERIES_COLUMNS
from bgbench.trend import trend
from sweep.definition import CellSpec
from sweep.sampler import Sample

GAUGES = (
    "in_flight",
    "executor_queue_depth",
    "threadpool_tokens_in_use",
    "threadpool_tokens_in_use_max",
)
CLIENT_FIELDS = ("uncorrected", "corrected", "send_lag")
WORKER_CPU_MIN_SPAN_S = 1.0  # a worker's busiest report is read from reports this long
# Routes the app times that are not the load's: the probe beside it.
NOT_THE_LOAD = (PROBE_ROUTE,)
V = TypeVar("V")


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
    queue_worker: QueueWorker | None = None  # the queue strategy's worker, as watched


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


def _summary(histogram: HdrHistogram) -> Summary:
    return Summary.of(hdr.summarize(histogram))


def _present(histogram: HdrHistogram) -> Summary | None:
    return _summary(histogram) if histogram.get_total_count() else None


def _mean(values: Sequence[float]) -> float | None:
    return round(statistics.fmean(values), 1) if values else None


def _merge_requests(requests: Mapping[str, Any], names: Iterable[str], field: str) -> HdrHistogram:
    return hdr.merge(
        requests[name][field] for name in names if requests[name].get(field) is not None
    )


def client_metrics(client: Mapping[str, Any], locust: Mapping[str, Any] | None) -> ClientMetrics:
    requests: Mapping[str, Any] = client["requests"]
    probe: str | None = client.get("probe")
    main = [name for name in requests if name != probe]
    measured_s = max(client["stopped_at"] - client["measure_from"], 1e-9)
    count = sum(int(requests[n]["count"]) for n in main)
    dropped, unfinished = int(client.get("dropped", 0)), int(client.get("unfinished", 0))
    offered = client.get("offered_rps")
    probe_metrics = None
    if probe is not None and probe in requests:
        probe_count = int(requests[probe]["count"])
        probe_metrics = Probe(
            name=probe,
            requests=probe_count,
            failures=int(requests[probe]["failures"]),
            achieved_rps=round(probe_count / measured_s, 2),
            latency=_summary(_merge_requests(requests, [probe], "uncorrected")),
        )
    return ClientMetrics(
        requests=count,
        failures=sum(int(requests[n]["failures"]) for n in main),
        dropped=dropped,
        unfinished=unfinished,
        incomplete_workers=len(client.get("incomplete", [])),
        offered_rps=offered,
        # What the schedule asked for in the measured phase: Poisson arrivals wander a few
        # per cent around the offered rate, so the answers are judged against this.
        scheduled_rps=round((count + dropped + unfinished) / measured_s, 2) if offered else None,
        achieved_rps=round(count / measured_s, 2),
        duration_s=round(measured_s, 3),
        latency=_summary(_merge_requests(requests, main, "uncorrected")),
        latency_corrected=_present(_merge_requests(requests, main, "corrected")),
        send_lag=_present(_merge_requests(requests, main, "send_lag")),
        probe=probe_metrics,
        locust=locust,
    )


def accounting(
    final: Mapping[str, Any] | None,
    snapshot: Mapping[str, Any] | None,
    samples: Sequence[Sample],
    worker: QueueWorker | None = None,
) -> Accounting:
    """Every task completed, failed or not run — or lost. From the app's final report when it
    could write one; else from its last /metrics; else (it died) from the windows sampled
    since the load began, where whatever was still in flight counts as lost.

    With a broker counted at the end, the app's tasks that never started, that the broker no
    longer holds and that the worker did not start after the drain are the broker's loss
    (`lost_in_broker`), not tasks the drain ran out of time for. The broker may also hold
    started ones (acks late): then this is a lower bound."""
    if final is not None:
        source, totals = "final", final["totals"]
    elif snapshot is not None:
        source, totals = "last_snapshot", snapshot["totals"]
    else:
        merged = merge_server_windows(s for s in samples if s.window is not None)
        source = "windows"
        totals = {c: sum(task[c] for task in merged.values()) for c in COUNTERS}
    not_run, lost_in_broker = totals["not_run"], None
    if worker is not None and worker.held_at_stop is not None and source == "final":
        # Rejected tasks are among not_run but never reached the broker.
        waiting = not_run - totals["rejected"]
        late = worker.started_after_drain or 0
        lost_in_broker = max(0, waiting - worker.held_at_stop - late)
        not_run -= lost_in_broker
    counted = totals["completed"] + totals["failed"] + not_run + (lost_in_broker or 0)
    lost = totals["enqueued"] - counted
    return Accounting(
        enqueued=totals["enqueued"],
        completed=totals["completed"],
        failed=totals["failed"],
        not_run=not_run,
        rejected=totals["rejected"],
        lost=lost,
        balanced=lost == 0,
        source=source,
        lost_in_broker=lost_in_broker,
    )


def loadgen(
    measured: Sequence[Sample],
    processes: int,
    cores: int,
    workers: tuple[LocustWorker, ...] = (),
) -> LoadGen:
    """How busy the load generator was, per core it could use: N Locust processes on fewer
    cores share them, so it is their sum over those cores that says whether they ran out."""
    usable = max(1, min(processes, cores))
    cpu = [s.loadgen_cpu / usable for s in measured if s.loadgen_cpu is not None]
    return LoadGen(
        cpu_percent=_mean(cpu),
        cpu_percent_max=round(max(cpu), 1) if cpu else None,
        processes=processes,
        cores=usable,
        locust_workers=workers,
    )


def _worker_cpu(
    reports: Iterable[Mapping[str, float]], measure_from: float
) -> tuple[float | None, float | None]:
    """A worker's CPU in % of one core over its report intervals lying mostly in the measured
    phase (the midpoint rule, as for the app's windows): the mean weighted by their length
    (the last one, at the stop, is short), and the busiest."""
    chosen = [
        (report["cpu_s"], report["until"] - report["since"])
        for report in reports
        if report["until"] > report["since"]
        and (report["since"] + report["until"]) / 2 >= measure_from
    ]
    if not chosen:
        return None, None
    mean = 100.0 * sum(cpu for cpu, _ in chosen) / sum(wall for _, wall in chosen)
    # The last report comes a few ms after the one before it, at the stop, and its own
    # encoding fills that sliver (52-72% measured): too short to say how busy the worker was.
    spans = [(cpu, wall) for cpu, wall in chosen if wall >= WORKER_CPU_MIN_SPAN_S] or chosen
    busiest = max(100.0 * cpu / wall for cpu, wall in spans)
    return round(mean, 1), round(busiest, 1)


def locust_workers(client: Mapping[str, Any]) -> tuple[LocustWorker, ...]:
    """Each Locust worker as it reported itself (client.json `per_worker`), in id order."""
    found = []
    for worker_id, own in sorted(client.get("per_worker", {}).items()):
        tally = own["tally"]
        cpu, cpu_max = _worker_cpu(own["cpu"], client["measure_from"])
        lag = tally.get("send_lag")
        found.append(
            LocustWorker(
                id=worker_id,
                requests=int(tally["count"]),
                send_lag=_present(hdr.decode(lag)) if lag else None,
                cpu_percent=cpu,
                cpu_percent_max=cpu_max,
            )
        )
    return tuple(found)


def interference(measured: Sequence[Sample]) -> Interference | None:
    seen = [s.interference for s in measured if s.interference is not None]
    if not seen:
        return None
    server = [i.server_foreign_percent for i in seen]
    load = [i.loadgen_foreign_percent for i in seen]
    return Interference(
        seconds=len(seen),
        server_foreign_percent=round(statistics.fmean(server), 1),
        server_foreign_percent_max=round(max(server), 1),
        loadgen_foreign_percent=round(statistics.fmean(load), 1),
        loadgen_foreign_percent_max=round(max(load), 1),
        server_steal_percent=round(statistics.fmean(i.server_steal_percent for i in seen), 2),
        loadgen_steal_percent=round(statistics.fmean(i.loadgen_steal_percent for i in seen), 2),
    )


def _server_latency(window: Mapping[str, Any]) -> dict[str, str]:
    timed: dict[str, str] = window.get("server_latency_us") or {}
    return timed


def _the_loads(by_route: Mapping[str, V]) -> list[V]:
    """Of what the app timed per route, the load's requests: every route but the probe's."""
    return [timed for route, timed in by_route.items() if route not in NOT_THE_LOAD]


def _quantile(encoded: str | None, percentile: float) -> int | None:
    return None if not encoded else hdr.percentile(hdr.decode(encoded), percentile)


def timeseries(
    client: Mapping[str, Any], samples: Sequence[Sample], offered: float | None
) -> TimeSeries:
    """One row per whole second, from the first full second of the measured phase to the end
    of the drain; the seconds the load only partly covered are left out, so a rate is never
    read off a fraction of a second."""
    first = math.ceil(client["measure_from"])
    load_end = math.floor(client["stopped_at"])
    last_partial = math.ceil(client["stopped_at"])
    per_second = {int(row["second"]): row for row in client.get("per_second", [])}
    probe_seconds = {int(row["second"]): row for row in client.get("per_second_probe", [])}
    windows = {_window_second(s): s for s in samples if s.window is not None}
    seconds = [
        s
        for s in sorted(set(per_second) | set(windows))
        if s >= first and not load_end <= s < last_partial
    ]
    rows = []
    for second in seconds:
        row: dict[str, Any] = dict.fromkeys(TIMESERIES_COLUMNS)
        row["t_s"] = second - first
        loaded = second < load_end
        row["offered_rps"] = offered if loaded and offered else (0 if not loaded else None)
        client_row = per_second.get(second)
        if client_row is not None:
            row["achieved_rps"] = client_row["requests"]
            row["failures"] = client_row["failures"]
            row["dropped"] = client_row.get("dropped", 0)
            row["p50_us"] = _quantile(client_row["uncorrected"], 50)
            row["p99_us"] = _quantile(client_row["uncorrected"], 99)
            row["p99_corrected_us"] = _quantile(client_row.get("corrected"), 99)
            row["send_lag_p99_us"] = _quantile(client_row.get("send_lag"), 99)
        elif not loaded:
            row["achieved_rps"] = 0
        probe_row = probe_seconds.get(second)
        if probe_row is not None:
            row["probe_requests"] = probe_row["requests"]
            row["probe_p99_us"] = _quantile(probe_row["uncorrected"], 99)
        sample = windows.get(second)
        if sample is not None:
            row.update(_server_row(sample))
        rows.append(row)
    return TimeSeries.from_rows(rows)


def _window_second(sample: Sample) -> int:
    """The wall-clock second a window stands for: the sampler ticks on whole seconds."""
    assert sample.window is not None
    since: float = sample.window["since"]
    return math.floor(since + 0.5)


def _encoded_merge(encoded: Iterable[str | None]) -> str | None:
    present = [e for e in encoded if e]
    if not present:
        return None
    merged = hdr.merge(present)
    return hdr.encode(merged) if merged.get_total_count() else None


def _window_series(sample: Sample) -> dict[str, str | None]:
    window = sample.window
    assert window is not None
    tasks = window["tasks"].values()
    return {
        names.SERVER: _encoded_merge(_the_loads(_server_latency(window))),
        names.COMPLETION_LAG: _encoded_merge(task["completion_lag_us"] for task in tasks),
        names.EVENT_LOOP_LAG: _encoded_merge([window["event_loop_lag_us"]]),
    }


def second_histograms(client: Mapping[str, Any], measured: Sequence[Sample]) -> SecondHistograms:
    """Every second of the measured phase that recorded something, with its own histograms:
    the client's from its per-second tallies (measured requests only), the app's from the
    measured windows, the same ones the cell's whole-phase histograms merge."""
    by_second: dict[int, dict[str, str | None]] = {}
    for row in client.get("per_second", []):
        into = by_second.setdefault(int(row["second"]), {})
        into[names.RESPONSE] = row["uncorrected"] if row["requests"] else None
        into[names.RESPONSE_CORRECTED] = row.get("corrected") if row["requests"] else None
    for row in client.get("per_second_probe", []):
        if row["requests"]:
            by_second.setdefault(int(row["second"]), {})[names.PROBE] = row["uncorrected"]
    for sample in measured:
        by_second.setdefault(_window_second(sample), {}).update(_window_series(sample))
    seconds = tuple(sorted(by_second))
    return SecondHistograms(
        seconds=seconds,
        series={
            name: tuple(by_second[s].get(name) for s in seconds) for name in names.SECOND_SERIES
        },
    )


def _server_row(sample: Sample) -> dict[str, Any]:
    window = sample.window
    assert window is not None
    merged = merge_server_windows([sample])
    lag = hdr.new_histogram()
    for task in merged.values():
        lag.add(task["completion_lag_us"])
    gauges = window["gauges"]
    row = {
        "tasks_completed": sum(task["completed"] for task in merged.values()),
        "completion_lag_p50_us": hdr.percentile(lag, 50),
        "completion_lag_p99_us": hdr.percentile(lag, 99),
        "backlog": gauges["in_flight"],
        "executor_queue_depth": gauges["executor_queue_depth"],
        "threadpool_tokens_in_use": gauges["threadpool_tokens_in_use"],
        "threadpool_tokens_in_use_max": gauges.get("threadpool_tokens_in_use_max"),
        "event_loop_lag_p99_us": _quantile(window["event_loop_lag_us"], 99),
        "server_p50_us": hdr.percentile(hdr.merge(_the_loads(_server_latency(window))), 50),
    }
    if sample.interference is not None:
        row["server_foreign_percent"] = round(sample.interference.server_foreign_percent, 1)
        row["loadgen_foreign_percent"] = round(sample.interference.loadgen_foreign_percent, 1)
        row["steal_percent"] = round(sample.interference.server_steal_percent, 2)
    if sample.resources is not None:
        row["server_rss_mib"] = round(sample.resources.rss_mib, 2)
        row["server_open_fds"] = sample.resources.open_fds
    return row


def resources(series: TimeSeries) -> Resources | None:
    """The server tree's memory and open files over the loaded seconds (the drain left out:
    growth under load is the question), from the same columns timeseries.csv stores."""
    offered = series.columns["offered_rps"]
    loaded = offered != 0
    t = series.columns["t_s"][loaded]
    rss = trend(t, series.columns["server_rss_mib"][loaded])
    fds = trend(t, series.columns["server_open_fds"][loaded])
    if rss is None or fds is None:
        return None
    return Resources(
        seconds=len(series.column("server_rss_mib", loaded_only=True)), rss_mib=rss, open_fds=fds
    )


def worker_memory(worker: QueueWorker | None, measured: Sequence[Sample]) -> QueueWorker | None:
    """The queue worker as watched, with its memory at its highest measured second: what a
    machine must have for it (RSS summed over its processes, so a forked pool's shared pages
    count in each: an upper bound, as for the server's)."""
    if worker is None:
        return None
    read = [s.worker_resources for s in measured if s.worker_resources is not None]
    if not read:
        return worker
    peak = max(read, key=lambda r: r.rss_bytes)
    return replace(worker, rss_mib=round(peak.rss_mib, 1), processes=peak.processes)


def _server(
    measured: Sequence[Sample], final: Mapping[str, Any] | None
) -> tuple[ServerMetrics, dict[str, dict[str, str]], str, dict[str, str]]:
    merged = merge_server_windows(measured)
    loop_lag = hdr.merge(s.window["event_loop_lag_us"] for s in measured if s.window)
    timed: dict[str, HdrHistogram] = {}
    for sample in measured:
        assert sample.window is not None
        for route, encoded in _server_latency(sample.window).items():
            timed.setdefault(route, hdr.new_histogram()).add(hdr.decode(encoded))
    gauges_max = {
        gauge: max((s.window["gauges"].get(gauge, 0) for s in measured if s.window), default=None)
        for gauge in GAUGES
    }
    load_latency = hdr.new_histogram()
    for histogram in _the_loads(timed):
        load_latency.add(histogram)
    server = ServerMetrics(
        tasks={
            key: TaskStats(
                enqueued=task["enqueued"],
                started=task["started"],
                completed=task["completed"],
                failed=task["failed"],
                not_run=task["not_run"],
                rejected=task["rejected"],
                queue_wait=_summary(task["queue_wait_us"]),
                run_time=_summary(task["run_time_us"]),
                completion_lag=_summary(task["completion_lag_us"]),
            )
            for key, task in merged.items()
        },
        event_loop_lag=_summary(loop_lag),
        gauges_max=gauges_max,
        cpu_percent=_mean([s.server_cpu for s in measured if s.server_cpu is not None]),
        latency=_present(load_latency),
        shutdown=final.get("shutdown") if final else None,
    )
    by_task = {key: {t: hdr.encode(task[t]) for t in TIMINGS} for key, task in merged.items()}
    by_route = {route: hdr.encode(histogram) for route, histogram in timed.items()}
    return server, by_task, hdr.encode(loop_lag), by_route


def harness_share(client: ClientMetrics, server: ServerMetrics) -> HarnessShare | None:
    """What the client and loopback add to the same requests' latency: the two clocks'
    medians and p99s apart (each clock's own percentile; the requests are the same ones,
    timed at either end)."""
    if server.latency is None or server.latency.count == 0:
        return None
    return HarnessShare(
        p50_us=client.latency.p50 - server.latency.p50,
        p99_us=client.latency.p99 - server.latency.p99,
    )


def build(outcome: CellOutcome) -> Cell:
    """The cell as the results store it, judged."""
    client = outcome.client
    cell = Cell(
        schema_version=SCHEMA_VERSION,
        cell_id=outcome.cell_id,
        index=outcome.index,
        params=outcome.spec.params(),
        status="ok",
        reason=None,
        flags=(),
        flag_reasons={},
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        client=None,
        server=None,
        loadgen=None,
        interference=None,
        harness=None,
        accounting=accounting(
            outcome.final, outcome.snapshot, outcome.samples, outcome.queue_worker
        ),
        pinning=outcome.pinning,
    )
    if client is not None:
        measured = _measured(outcome.samples, client["measure_from"])
        metrics = client_metrics(client, outcome.locust)
        server, task_histograms, loop_lag, by_route = _server(measured, outcome.final)
        series = timeseries(client, outcome.samples, client.get("offered_rps"))
        server = replace(
            server,
            resources=resources(series),
            queue_worker=worker_memory(outcome.queue_worker, measured),
        )
        cell = replace(
            cell,
            client=metrics,
            server=server,
            loadgen=loadgen(
                measured, outcome.load_processes, outcome.loadgen_cores, locust_workers(client)
            ),
            interference=interference(measured),
            harness=harness_share(metrics, server),
            histograms=Histograms(
                probe=client.get("probe"),
                client={
                    name: ClientHistograms(*(data.get(field) for field in CLIENT_FIELDS))
                    for name, data in client["requests"].items()
                },
                server=task_histograms,
                event_loop_lag=loop_lag,
                server_latency=by_route,
                per_second=second_histograms(client, measured),
            ),
            timeseries=series,
        )
    return trust.judged(cell, outcome.failure)
