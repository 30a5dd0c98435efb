"""Writes the golden result directories under tests/reports/golden/ (run it to regenerate:
`python -m tests.reports.make_golden`). Values are chosen by hand to look like a real sweep on
a 2-core machine; latencies are spread as log-normal quantiles (no random numbers), so the
files come out byte-for-byte the same every time and the tests can hand-compute findings from
the per-second levels below."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from statistics import NormalDist
from typing import Any

from bgbench import hdr, trust
from bgbench.contract import PROBE_REQUEST, THREADPOOL_TOKENS
from bgbench.queues import facts
from bgbench.results import codec, names, writer
from bgbench.results.model import (
    Accounting,
    Cell,
    CellParams,
    ClientHistograms,
    ClientMetrics,
    Histograms,
    Interference,
    LoadGen,
    ManifestCell,
    Probe,
    QueueWorker,
    SecondHistograms,
    ServerMetrics,
    Summary,
    TaskStats,
    TimeSeries,
)

GOLDEN = Path(__file__).parent / "golden"
RUN_ID = "20250101T000000Z-golden"
SLOWER_RUN_ID = "20250102T000000Z-golden-slower"
DURATION_S = 20  # at 50 req/s, the 1,000 requests a p99 is claimed from
PROBE_RATE = 10.0
LOOP_LOOKS = 100  # per second: the app's event-loop monitor looks every 10 ms
# Per-second deviations around a level: they sum to zero, so a column's mean is its level.
PATTERN = (-2, 1, 0, 2, -1, 1, -2, 0, 2, -1) * 2
Z99 = NormalDist().inv_cdf(0.99)


@functools.cache
def _normal_quantiles(n: int) -> tuple[float, ...]:
    normal = NormalDist()
    return tuple(normal.inv_cdf((i + 0.5) / n) for i in range(n))


@dataclass(frozen=True)
class Spread:
    """A latency distribution by its median and p99 (µs), and the per-second p99 levels."""

    p50: float
    p99: float
    amplitude: float = 0.0  # per-second p99 = level + amplitude × PATTERN
    ramp: float = 0.0  # or, when set, per-second p99 = level + ramp × t (a growing backlog)
    # The per-second p99's level (the first second's when it ramps); unset, the p99. A probe
    # sends 10 requests a second, so its per-second p99 is the slowest of 10: below its p99.
    level: float | None = None

    @property
    def base(self) -> float:
        return self.p99 if self.level is None else self.level

    def samples(self, n: int) -> list[float]:
        sigma = math.log(self.p99 / self.p50) / Z99
        return [self.p50 * math.exp(sigma * z) for z in _normal_quantiles(n)]

    def per_second(self) -> list[float]:
        if self.ramp:
            return [self.base + self.ramp * t for t in range(DURATION_S)]
        return [self.base + self.amplitude * d for d in PATTERN]


@dataclass(frozen=True)
class Spec:
    strategy: str
    workload: str
    ms: float
    latency: Spread
    workers: int | None = None
    rate: float | None = 100.0
    users: int | None = None
    repeat: int = 1
    probe: Spread | None = None
    lag: Spread | None = None
    loop_lag: Spread = Spread(300, 900, 40)
    corrected_factor: float = 1.05
    achieved_share: float = 1.0
    loadgen_cpu: float = 55.0
    status: str = "ok"
    reason: str | None = None
    flags: tuple[str, ...] = ()  # what bgbench.trust must find in the made-up numbers
    tasks_per_request: int = 1
    not_run_share: float = 0.0
    failed_share: float = 0.0
    lost: int = 0
    backlog_growth: float = 0.0
    tokens: int = 0  # thread-pool tokens in use, sampled at the end of each second
    tokens_peak: int | None = None  # the most in use within a second (10 ms looks); unset: tokens
    extras: dict[str, Any] = field(default_factory=dict)

    def cell_id(self, index: int) -> str:
        """As the sweep names cells (sweep/definition.py, CellSpec.label)."""
        workers = "na" if self.workers is None else str(self.workers)
        load = f"r{self.rate:.10g}" if self.users is None else f"closed{self.users}"
        work = self.workload if self.strategy == "none" else f"{self.workload}{self.ms:.10g}ms"
        label = f"{index:03d}-{self.strategy}-{work}-w{workers}-{load}"
        return label if self.repeat == 1 else f"{label}-x{self.repeat}"


QUICK = Spread(900, 2500, 150)
SEND_LAG = Spread(150, 600)  # an on-time load generator: well under 1 ms at the p99
PROBE_OK = Spread(1000, 2600, 150, level=1900)
SLEEP_200 = 200.0


def _sleep(strategy: str, p50: float, p99: float, **kw: Any) -> Spec:
    kw.setdefault("lag", Spread(200_800, 203_000, 800))
    kw.setdefault("probe", PROBE_OK)
    return Spec(strategy, "sleep", SLEEP_200, Spread(p50, p99, 150), **kw)


def _cpu(strategy: str, workers: int | None, p99: float, lag_p99: float, **kw: Any) -> Spec:
    return Spec(
        strategy,
        "cpu",
        5.0,
        Spread(1200, p99, 150),
        workers=workers,
        rate=50.0,
        lag=Spread(5600, lag_p99, 150),
        **kw,
    )


def specs() -> list[Spec]:
    none = Spec("none", "none", 0.0, QUICK, probe=PROBE_OK)
    inline_lag = Spread(200_400, 201_500, 300)
    return [
        # The strategies side by side: sleep 200 ms at 100 req/s, with a probe.
        none,
        _sleep(
            "inline", 201_500, 206_000, lag=inline_lag, probe=Spread(1100, 3000, 200, level=2100)
        ),
        _sleep(
            "background",
            1300,
            4000,
            tokens=21,
            tokens_peak=26,
            probe=Spread(1400, 5000, 300, level=3200),
        ),
        _sleep(
            "background",
            1350,
            4200,
            repeat=2,
            tokens=22,
            tokens_peak=27,
            probe=Spread(1400, 5100, 300, level=3300),
        ),
        _sleep("background_async", 1100, 3200),
        # A blocking sleep on the event loop at 100 req/s needs 20 s of loop per second.
        _sleep(
            "background_blocking",
            2_900_000,
            9_000_000,
            achieved_share=0.046,
            corrected_factor=3.0,
            loop_lag=Spread(190_000, 210_000, 2000),
            probe=Spread(2_800_000, 8_500_000, 400_000, level=6_000_000),
            lag=Spread(3_000_000, 9_200_000, 5000),
            flags=("saturated", "dropped"),
            loadgen_cpu=40.0,
            backlog_growth=0.0,
        ),
        _sleep("middleware_base", 1500, 4800),
        _sleep("middleware_asgi", 1350, 4150),
        _sleep("chained", 1400, 5200, tasks_per_request=3),
        _sleep(
            "failing",
            1300,
            4500,
            tasks_per_request=3,
            failed_share=1 / 3,
            not_run_share=1 / 3,
            flags=("errors",),
            extras={"fail_at": 1},
        ),
        _sleep(
            "failing_guarded",
            1300,
            4400,
            tasks_per_request=3,
            failed_share=1 / 3,
            extras={"fail_at": 1},
        ),
        # Offered rate: 50 and 250 req/s; at 250 the sync tasks need 50 of the 40 tokens.
        replace(none, rate=50.0),
        _sleep("inline", 201_000, 204_000, rate=50.0, lag=inline_lag),
        _sleep(
            "background",
            1250,
            3600,
            rate=50.0,
            tokens=11,
            tokens_peak=14,
            probe=Spread(1000, 2600, 150, level=2000),
        ),
        _sleep("background_async", 1050, 3000, rate=50.0),
        replace(none, rate=250.0, latency=Spread(950, 2700, 150)),
        _sleep(
            "inline",
            205_000,
            260_000,
            rate=250.0,
            lag=inline_lag,
            achieved_share=0.91,
            corrected_factor=2.5,
            flags=("saturated",),  # 91% of the schedule answered: under 95%
        ),
        _sleep(
            "background",
            1600,
            6000,
            rate=250.0,
            tokens=40,
            backlog_growth=10,
            probe=Spread(400_000, 1_200_000, 60_000, level=800_000),
            lag=Spread(1_800_000, 2_700_000, ramp=200_000, level=900_000),
        ),
        _sleep("background_async", 1200, 3500, rate=250.0),
        replace(
            none,
            rate=3000.0,
            latency=Spread(2000, 14_000, 800),
            loadgen_cpu=97.0,
            achieved_share=0.96,
            corrected_factor=1.6,
            flags=("saturated",),  # the load generator's CPU above 90%
        ),
        # A blocking call that the loop survives: sleep 5 ms at 100 req/s (half the loop); the
        # control is the `none` cell at 100 req/s above.
        Spec(
            "background_async",
            "sleep",
            5.0,
            Spread(1000, 2900, 120),
            probe=Spread(1000, 2700, 150, level=2000),
            lag=Spread(5200, 6100, 100),
            loop_lag=Spread(150, 350, 20),
        ),
        Spec(
            "background_blocking",
            "sleep",
            5.0,
            Spread(6000, 38_000, 1500),
            probe=Spread(5500, 36_000, 3000, level=24_000),
            lag=Spread(9000, 41_000, 1500),
            loop_lag=Spread(4000, 9500, 400),
            corrected_factor=1.4,
        ),
        # Worker limits: sleep 200 ms at 50 req/s needs 10 workers; fewer and the backlog grows.
        *(
            Spec(
                "executor",
                "sleep",
                SLEEP_200,
                Spread(1100, 3100, 120),
                workers=w,
                rate=50.0,
                lag=lag,
                backlog_growth=growth,
                probe=None,
            )
            for w, lag, growth in [
                (2, Spread(18_000_000, 36_000_000, ramp=4_000_000, level=200_000), 40),
                (4, Spread(7_000_000, 13_700_000, ramp=1_500_000, level=200_000), 30),
                (8, Spread(1_300_000, 2_450_000, ramp=250_000, level=200_000), 10),
                (16, Spread(200_900, 204_000, 1000), 0),
                (32, Spread(200_900, 203_500, 1000), 0),
            ]
        ),
        # CPU work (5 ms of pure Python at 50 req/s): threads, processes and Celery workers.
        Spec("none", "none", 0.0, QUICK, rate=50.0),
        _cpu("background", None, 9000, 7000),
        _cpu("executor", 1, 8200, 6000),
        _cpu("executor", 2, 8400, 6100),
        _cpu("executor", 4, 8900, 6400),
        _cpu("process_pool", 1, 3000, 7500),
        _cpu("process_pool", 2, 3100, 7300),
        _cpu("process_pool", 4, 3050, 7400),
        _cpu("queue", 1, 2800, 16_000),
        _cpu("queue", 2, 2850, 15_800),
        _cpu(
            "queue",
            4,
            2800,
            15_900,
            status="invalid",
            lost=3,
            reason="accounting does not balance: 3 tasks unaccounted for",
        ),
        Spec(
            "process_pool",
            "upload",
            20.0,
            QUICK,
            workers=2,
            rate=50.0,
            status="failed",
            reason="target app exited during warm-up: BrokenProcessPool (a worker was killed)",
        ),
        # Closed model: 10 users, no intended send times, so no corrected latency.
        _sleep("background", 1100, 3300, rate=None, users=10, probe=None),
        # 200 req/s: the sync tasks need all 40 tokens on average. The once-a-second sample
        # never sees more than 38 in use, the 10 ms peak sees all 40: the pool runs out now
        # and then, and a probe that comes then waits for a token.
        replace(none, rate=200.0, latency=Spread(920, 2600, 150)),
        _sleep(
            "background",
            1500,
            5200,
            rate=200.0,
            tokens=38,
            tokens_peak=40,
            probe=Spread(1500, 40_000, 2500, level=12_000),
            lag=Spread(201_500, 236_000, 4000),
        ),
    ]


def _histogram(spread: Spread, n: int) -> Any:
    histogram = hdr.new_histogram()
    for value in spread.samples(max(n, 1)):
        hdr.record_us(histogram, value)
    return histogram


@dataclass(frozen=True)
class Recorded:
    """A spread recorded second by second (each second's p99 at its per-second level), and
    the cell's histogram of it: exactly those seconds merged, as the sweep writes them."""

    summary: Summary
    encoded: str
    seconds: tuple[str, ...]


@functools.cache  # the slower run repeats most cells; recording is the slow part
def _recorded(spread: Spread, n: int) -> Recorded:
    each = max(n // DURATION_S, 1)
    # Each second's p99 is its level; its median keeps the spread's p50 : p99 ratio.
    seconds = [
        _histogram(Spread(level * spread.p50 / spread.p99, level), each)
        for level in spread.per_second()
    ]
    merged = hdr.new_histogram()
    for histogram in seconds:
        merged.add(histogram)
    return Recorded(
        Summary.of(hdr.summarize(merged)),
        hdr.encode(merged),
        tuple(hdr.encode(h) for h in seconds),
    )


def _params(spec: Spec) -> CellParams:
    return CellParams.from_json(_raw_params(spec))


def _raw_params(spec: Spec) -> dict[str, Any]:
    return {
        "strategy": spec.strategy,
        "broker": "redis" if facts(spec.strategy) else None,
        "workload": spec.workload,
        "ms": spec.ms,
        "workers": spec.workers,
        "model": "open" if spec.users is None else "closed",
        "rate": spec.rate,
        "users": spec.users,
        "arrival": "constant",
        "duration_s": float(DURATION_S),
        "warmup_s": 2.0,
        "repeat": spec.repeat,
        "queue_limit": 0,
        "threadpool_tokens": THREADPOOL_TOKENS,
        "max_in_flight": 1000,
        "probe_rate": PROBE_RATE if spec.probe else 0.0,
        "drain_timeout_s": 30.0,
        "tasks": spec.tasks_per_request,
        "fail_at": spec.extras.get("fail_at", 1),
        "priority": "normal",
        "upload_bytes": 65536,
        "load_workers": 1,
        "remote_load_workers": 0,
        "load_master_bind": "127.0.0.1",
        "load_master_port": 5557,
    }


Series = dict[str, tuple[str | None, ...]]


def _client(spec: Spec) -> tuple[ClientMetrics, dict[str, ClientHistograms], Series]:
    offered = spec.rate if spec.users is None else None
    achieved = (offered or 110.0) * spec.achieved_share
    requests = round(achieved * DURATION_S)
    latency = _recorded(spec.latency, requests)
    series: Series = {names.RESPONSE: latency.seconds}
    corrected = send_lag = None
    if offered is not None:
        factor = spec.corrected_factor
        corrected_spread = Spread(
            spec.latency.p50 * (1 + (factor - 1) / 4),
            spec.latency.p99 * factor,
            spec.latency.amplitude * factor,
        )
        corrected = _recorded(corrected_spread, requests)
        send_lag = _recorded(SEND_LAG, requests)
        series[names.RESPONSE_CORRECTED] = corrected.seconds
    histograms = {
        f"/{spec.strategy}": ClientHistograms(
            latency.encoded,
            corrected.encoded if corrected else None,
            send_lag.encoded if send_lag else None,
        )
    }
    probe = None
    if spec.probe is not None:
        probe_requests = round(PROBE_RATE * DURATION_S)
        probe_latency = _recorded(spec.probe, probe_requests)
        probe = Probe(PROBE_REQUEST, probe_requests, 0, PROBE_RATE, probe_latency.summary)
        histograms[PROBE_REQUEST] = ClientHistograms(probe_latency.encoded, None, None)
        series[names.PROBE] = probe_latency.seconds
    dropped = "dropped" in spec.flags
    client = ClientMetrics(
        requests=requests,
        failures=requests // 100 if "errors" in spec.flags else 0,
        dropped=round(((offered or 0) - achieved) * DURATION_S) if dropped else 0,
        unfinished=0,
        incomplete_workers=0,
        offered_rps=offered,
        scheduled_rps=offered,  # constant arrivals: the schedule is the offered rate
        achieved_rps=round(achieved, 2),
        duration_s=float(DURATION_S),
        latency=latency.summary,
        latency_corrected=corrected.summary if corrected else None,
        send_lag=send_lag.summary if send_lag else None,
        probe=probe,
        locust={
            "requests": requests,
            "failures": 0,
            "rps": round(achieved, 1),
            "median_ms": round(latency.summary.p50 / 1000),
            "p99_ms": round(latency.summary.p99 / 1000),
        },
    )
    return client, histograms, series


def _server(spec: Spec, requests: int) -> tuple[ServerMetrics, dict[str, dict[str, str]], Series]:
    tasks: dict[str, TaskStats] = {}
    encoded: dict[str, dict[str, str]] = {}
    loop_lag = _recorded(spec.loop_lag, DURATION_S * LOOP_LOOKS)
    series: Series = {names.EVENT_LOOP_LAG: loop_lag.seconds}
    if spec.lag is not None:
        enqueued = requests * spec.tasks_per_request
        failed = round(enqueued * spec.failed_share)
        not_run = round(enqueued * spec.not_run_share)
        completed = enqueued - failed - not_run - spec.lost
        run_time = Spread(spec.ms * 1000 * 1.002, spec.ms * 1000 * 1.01)
        wait = Spread(
            max(spec.lag.p50 - spec.ms * 1000, 50), max(spec.lag.p99 - spec.ms * 1000, 200)
        )
        timings = {
            name: _recorded(spread, completed + failed)
            for name, spread in [
                ("queue_wait_us", wait),
                ("run_time_us", run_time),
                ("completion_lag_us", spec.lag),
            ]
        }
        key = f"{spec.strategy}/{spec.workload}"
        tasks[key] = TaskStats(
            enqueued=enqueued,
            started=completed + failed,
            completed=completed,
            failed=failed,
            not_run=not_run,
            rejected=0,
            queue_wait=timings["queue_wait_us"].summary,
            run_time=timings["run_time_us"].summary,
            completion_lag=timings["completion_lag_us"].summary,
        )
        encoded[key] = {name: timing.encoded for name, timing in timings.items()}
        series[names.COMPLETION_LAG] = timings["completion_lag_us"].seconds
    server = ServerMetrics(
        tasks=tasks,
        event_loop_lag=loop_lag.summary,
        gauges_max={
            "in_flight": round(spec.backlog_growth * DURATION_S) + 2,
            "executor_queue_depth": round(spec.backlog_growth * DURATION_S),
            "threadpool_tokens_in_use": spec.tokens,
            "threadpool_tokens_in_use_max": _tokens_peak(spec),
        },
        cpu_percent=35.0,
        latency=None,
        shutdown={"drained": True, "waited_s": 0.2},
        queue_worker=_queue_worker(spec),
    )
    return server, encoded, series


def _queue_worker(spec: Spec) -> QueueWorker | None:
    """Celery's prefork worker as the sweep watched it: its main process and its pool, each
    about as big as a real one on this machine."""
    queue = facts(spec.strategy)
    if queue is None or spec.workers is None:
        return None
    return QueueWorker(
        library=queue.name,
        broker=queue.default_broker.value,
        concurrency=spec.workers,
        concurrency_is=queue.concurrency_is,
        exit_code=None,
        died_at_s=None,
        rss_mib=60.0 + 50.0 * spec.workers,
        processes=1 + spec.workers,
    )


def _per_second(index: int, series: Series) -> SecondHistograms:
    # Each cell a minute after the last, from 2025-01-01T00:00:00Z.
    start = 1_735_689_600 + 60 * index
    return SecondHistograms(
        seconds=tuple(range(start, start + DURATION_S)),
        series={name: series.get(name) or (None,) * DURATION_S for name in names.SECOND_SERIES},
    )


def _cell(spec: Spec, cell_id: str, index: int) -> Cell:
    cell = Cell(
        schema_version=names.SCHEMA_VERSION,
        cell_id=cell_id,
        index=index,
        params=_params(spec),
        status="ok",
        reason=None,
        flags=(),
        flag_reasons={},
        started_at=f"2025-01-01T00:{index:02d}:00Z",
        finished_at=f"2025-01-01T00:{index:02d}:14Z",
        client=None,
        server=None,
        loadgen=None,
        interference=None,
        harness=None,
        accounting=None,
        pinning={"server_cpus": [0], "loadgen_cpus": [1]},
    )
    if spec.status != "failed":
        client, client_histograms, client_series = _client(spec)
        server, server_histograms, server_series = _server(spec, client.requests)
        task = next(iter(server.tasks.values()), None)
        # The warm-up's tasks count in the accounting (whole life of the app), not in `tasks`.
        enqueued = task.enqueued if task else 0
        warmup_tasks = round(enqueued * 0.2)
        cell = replace(
            cell,
            client=client,
            server=server,
            loadgen=LoadGen(spec.loadgen_cpu, min(spec.loadgen_cpu + 6, 100.0), 1, 1),
            interference=Interference(DURATION_S, 1.0, 3.0, 2.0, 4.0, 0.0, 0.0),
            accounting=Accounting(
                enqueued=enqueued + warmup_tasks,
                completed=(task.completed if task else 0) + warmup_tasks,
                failed=task.failed if task else 0,
                not_run=task.not_run if task else 0,
                rejected=0,
                lost=spec.lost,
                balanced=spec.lost == 0,
                source="final",
            ),
            histograms=Histograms(
                probe=PROBE_REQUEST if spec.probe else None,
                client=client_histograms,
                server=server_histograms,
                event_loop_lag=_recorded(spec.loop_lag, DURATION_S * LOOP_LOOKS).encoded,
                server_latency={},
                per_second=_per_second(index, {**client_series, **server_series}),
            ),
            timeseries=_timeseries(spec, client.achieved_rps, task.completed if task else 0),
        )
    judged = trust.judged(cell, spec.reason if spec.status == "failed" else None)
    # The real rules judge the made-up numbers; a spec says what they must find, so a rule
    # that moves (or numbers that stop showing what a cell is there to show) fail here.
    if (judged.status, judged.flags) != (spec.status, spec.flags):
        raise ValueError(
            f"{cell_id}: judged {judged.status} {judged.flags} ({judged.flag_reasons}), "
            f"the spec says {spec.status} {spec.flags}"
        )
    return judged


def _write_cell(directory: Path, spec: Spec, cell_id: str, index: int) -> Cell:
    directory.mkdir(parents=True)
    cell = _cell(spec, cell_id, index)
    writer.write_cell(directory, cell)
    return cell


def _tokens_peak(spec: Spec) -> int:
    return spec.tokens if spec.tokens_peak is None else spec.tokens_peak


def _tokens_peaks(spec: Spec) -> list[int]:
    """The peak of each second: up to 4 below the cell's, never below the sample."""
    peak = _tokens_peak(spec)
    return [max(spec.tokens, peak - (2 - d)) for d in PATTERN]


def _timeseries(spec: Spec, achieved: float, completed: int) -> TimeSeries:
    p99 = spec.latency.per_second()
    p50 = [spec.latency.p50 + d * spec.latency.amplitude / 10 for d in PATTERN]
    lag = spec.lag.per_second() if spec.lag else None
    loop = spec.loop_lag.per_second()
    probe = spec.probe.per_second() if spec.probe else None
    tokens_peaks = _tokens_peaks(spec)
    rows: list[dict[str, float | int | None]] = []
    for t in range(DURATION_S):
        backlog = round(spec.backlog_growth * (t + 1))
        rows.append(
            {
                "t_s": t,
                "offered_rps": None if spec.users else spec.rate,
                "achieved_rps": achieved + PATTERN[t] * 0.5,
                "failures": 0,
                "dropped": 0,
                "p50_us": p50[t],
                "p99_us": p99[t],
                "p99_corrected_us": None if spec.users else p99[t] * spec.corrected_factor,
                "send_lag_p99_us": None if spec.users else SEND_LAG.p99,
                "tasks_completed": round(completed / DURATION_S) if lag else None,
                "completion_lag_p50_us": lag[t] * 0.98 if lag else None,
                "completion_lag_p99_us": lag[t] if lag else None,
                "backlog": backlog,
                "executor_queue_depth": backlog if spec.workers else 0,
                "threadpool_tokens_in_use": spec.tokens,
                "threadpool_tokens_in_use_max": tokens_peaks[t],
                "event_loop_lag_p99_us": loop[t],
                "probe_requests": PROBE_RATE if probe else None,
                "probe_p99_us": probe[t] if probe else None,
                "server_foreign_percent": 1.0,
                "loadgen_foreign_percent": 2.0,
                "steal_percent": 0.0,
            }
        )
    # The drain: the load has stopped (offered 0), nothing measured but the gauges.
    gauges = (
        "backlog",
        "executor_queue_depth",
        "threadpool_tokens_in_use",
        "threadpool_tokens_in_use_max",
    )
    rows.append(
        {**dict.fromkeys(gauges, 0), "t_s": DURATION_S, "offered_rps": 0, "achieved_rps": 0}
    )
    return TimeSeries.from_rows(rows)


def write_run(root: Path, run_id: str, cells: list[Spec]) -> Path:
    run_dir = root / run_id
    manifest_cells = []
    for index, spec in enumerate(cells):
        cell_id = spec.cell_id(index)
        cell = _write_cell(run_dir / names.CELLS_DIR / cell_id, spec, cell_id, index)
        manifest_cells.append(codec.to_json(ManifestCell(cell_id, cell.status, cell.reason)))
    manifest = {
        "schema_version": names.SCHEMA_VERSION,
        "run_id": run_id,
        "status": "partial",
        "started_at": "2025-01-01T00:00:00Z",
        "finished_at": "2025-01-01T00:45:00Z",
        "git": {"commit": "a755c07", "dirty": False, "branch": "main"},
        "machine": {
            "cpu_model": "Intel(R) Xeon(R) CPU @ 2.20GHz",
            "cores": 2,
            "memory_bytes": 8_000_000_000,
            "os": "Linux",
            "kernel": "6.1.0",
            "python": "3.11.2",
        },
        "versions": {
            "bgbench": "0.1.0",
            "fastapi": "0.163.0",
            "starlette": "1.10.0",
            "uvicorn": "0.54.0",
            "locust": "2.47.0",
        },
        "pinning": {
            "available_cpus": [0, 1],
            "server_cpus": [0],
            "loadgen_cpus": [1],
            "pinned": True,
            "note": "server on CPU 0, Locust on CPU 1",
        },
        "sweep": {"name": "golden", "source": "sweeps/golden.toml", "duration_s": DURATION_S},
        "cells": manifest_cells,
        "skipped": [],
    }
    writer.write_json(run_dir / names.MANIFEST, manifest)
    return run_dir


def slower(cells: list[Spec]) -> list[Spec]:
    """The same sweep with `background` 1.5× slower at the p99 at sleep 200 ms, 100 req/s."""
    return [
        replace(s, latency=replace(s.latency, p99=s.latency.p99 * 1.5))
        if (s.strategy, s.workload, s.ms, s.rate, s.users)
        == ("background", "sleep", SLEEP_200, 100.0, None)
        else s
        for s in cells
    ]


def write_all(root: Path) -> None:
    cells = specs()
    write_run(root, RUN_ID, cells)
    write_run(root, SLOWER_RUN_ID, slower(cells))


if __name__ == "__main__":
    import shutil

    for run in (RUN_ID, SLOWER_RUN_ID):
        shutil.rmtree(GOLDEN / run, ignore_errors=True)
    write_all(GOLDEN)
