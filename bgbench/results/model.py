"""The results, typed: what a cell's files hold, written by the sweep and read by the reports
through these same classes (`bgbench.results.codec` maps them to JSON field by field).

Latencies are microseconds, as HDR histograms record them; a key carries its unit. The
tables of docs/results-format.md describe every field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from bgbench.queues import facts
from bgbench.results import codec
from bgbench.results.names import TIMESERIES_COLUMNS

FloatArray = npt.NDArray[np.float64]


_DERIVED = {"stored": False}  # not a JSON key of its own: `from_json` fills it in


def _key(name: str) -> dict[str, str]:
    """A field stored under another JSON key (the key carries the unit)."""
    return {"key": name}


@dataclass(frozen=True, slots=True)
class Summary:
    """A latency summary in microseconds, as `bgbench.hdr.summarize` writes it."""

    count: int
    p50: float
    p90: float
    p99: float
    p99_9: float
    max: float
    mean: float

    def percentile(self, name: str) -> float:
        value: float = getattr(self, name)
        return value

    @classmethod
    def of(cls, summary: Mapping[str, Any]) -> Summary:
        """From `bgbench.hdr.summarize`'s dict."""
        return codec.from_json(cls, summary)

    def to_json(self) -> dict[str, Any]:
        return {
            "count": self.count,
            **{name: _plain(getattr(self, name)) for name in ("p50", "p90", "p99", "p99_9")},
            "max": _plain(self.max),
            "mean": self.mean,
        }


def _plain(value: float) -> float | int:
    """Whole microseconds stay integers in JSON, as the histograms report them."""
    return int(value) if float(value).is_integer() else value


@dataclass(frozen=True, slots=True)
class CellParams:
    strategy: str
    workload: str
    ms: float
    workers: int | None
    model: str
    rate: float | None
    users: int | None
    repeat: int
    probe_rate: float | None
    # Every parameter as stored, scenario extras included: cells are matched on all of them.
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, metadata=_DERIVED)

    @classmethod
    def from_json(cls, data: Any) -> CellParams:
        return replace(codec.from_fields(cls, data), raw=dict(data))

    def to_json(self) -> dict[str, Any]:
        return dict(self.raw)

    @property
    def broker(self) -> str | None:
        """The queue strategies' broker; None for the strategies in the app's process."""
        broker = self.raw.get("broker")
        return None if broker is None else str(broker)

    @property
    def arrival(self) -> str:
        return str(self.raw.get("arrival", "constant"))

    @property
    def load(self) -> str:
        """How hard the cell was driven, in words: `100 req/s` or `10 users`."""
        if self.model == "open":
            return f"{self.rate:g} req/s"
        return f"{self.users} users"

    @property
    def variant(self) -> str:
        """The strategy (with its broker, where not its default) and its worker limit: what a
        line or a bar of a figure stands for."""
        name = self.strategy
        queue = facts(self.strategy)
        if queue is not None and self.broker not in (None, queue.default_broker):
            name = f"{name}/{self.broker}"
        name = name if self.workers is None else f"{name} ×{self.workers}"
        queue_limit = self.raw.get("queue_limit")
        return f"{name}, queue ≤{queue_limit}" if queue_limit else name

    @property
    def work(self) -> str:
        """What each request's background work is, in words."""
        return (
            "no background work" if self.strategy == "none" else f"{self.workload} {self.ms:g} ms"
        )

    def point(self) -> tuple[tuple[str, str], ...]:
        """Every parameter but the repeat number: repeats of one point share it."""
        return tuple(sorted((k, repr(v)) for k, v in self.raw.items() if k != "repeat"))


@dataclass(frozen=True, slots=True)
class TaskStats:
    enqueued: int
    started: int
    completed: int
    failed: int
    not_run: int
    rejected: int
    queue_wait: Summary = field(metadata=_key("queue_wait_us"))
    run_time: Summary = field(metadata=_key("run_time_us"))
    completion_lag: Summary = field(metadata=_key("completion_lag_us"))


@dataclass(frozen=True, slots=True)
class Probe:
    """The `/baseline-sync` probe requests sent beside the load: how the others fared."""

    name: str
    requests: int
    failures: int
    achieved_rps: float
    latency: Summary = field(metadata=_key("latency_us"))


@dataclass(frozen=True, slots=True)
class ClientMetrics:
    requests: int
    failures: int
    dropped: int  # open model: not sent, the in-flight cap was reached
    unfinished: int  # sent, unanswered when the load stopped: the percentiles leave them out
    incomplete_workers: int  # Locust workers whose last report never reached the master
    offered_rps: float | None
    scheduled_rps: float | None  # requests the schedule asked for, per second (open model)
    achieved_rps: float
    duration_s: float
    latency: Summary = field(metadata=_key("latency_us"))  # from the actual send
    # From the intended send: what a user arriving on schedule waits (open model).
    latency_corrected: Summary | None = field(metadata=_key("latency_corrected_us"))
    # Actual − intended send: the load generator's own lateness (open model).
    send_lag: Summary | None = field(metadata=_key("send_lag_us"))
    probe: Probe | None
    locust: Mapping[str, Any] | None  # Locust's own figures, to cross-check

    @property
    def expected_requests(self) -> float | None:
        """What the offered rate asks for over the measured phase (open model)."""
        return None if self.offered_rps is None else self.offered_rps * self.duration_s

    @property
    def expected_rps(self) -> float | None:
        """The rate the answers are judged against: what the schedule asked for (Poisson
        arrivals wander a few per cent around the offered rate), else the offered rate."""
        return self.scheduled_rps or self.offered_rps

    @property
    def sent(self) -> int:
        """The requests the schedule got out or gave up on: answered, unanswered, dropped."""
        return self.requests + self.unfinished + self.dropped


@dataclass(frozen=True, slots=True)
class Trend:
    """How one per-second quantity moved over the loaded seconds: its first, last and
    highest value, and its least-squares slope per minute over all of them and over each
    half. Growth that levels off has a last half much flatter than its first."""

    start: float
    end: float
    max: float
    per_min: float
    first_half_per_min: float
    last_half_per_min: float

    @property
    def grew(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Resources:
    """The server's process tree (the app and its pool or queue workers): resident memory
    summed over its processes, in MiB, and open file descriptors, over `seconds` loaded
    seconds of the measured phase (timeseries `server_rss_mib`, `server_open_fds`)."""

    seconds: int
    rss_mib: Trend
    open_fds: Trend


@dataclass(frozen=True, slots=True)
class QueueWorker:
    """A queue strategy's worker, as the sweep started and watched it: its library, its
    concurrency knob and what that knob counts, and whether its main process exited before
    the sweep stopped it (the cell is then flagged `worker_died`)."""

    library: str  # celery, arq, ... (bgbench.queues)
    broker: str  # redis, rabbitmq, postgres
    concurrency: int
    concurrency_is: str  # what `concurrency` counts: "prefork processes" for Celery
    exit_code: int | None  # null: it ran until the sweep stopped it
    died_at_s: float | None  # seconds after the load began; null: it did not die
    # Its resident memory at its highest second of the measured phase, summed over its
    # processes (the main one and its pool), and how many those were: null if never sampled.
    rss_mib: float | None = None
    processes: int | None = None
    # The cell's jobs its broker still held once the worker stopped (waiting, or kept
    # unacknowledged); null: not counted (the broker did not answer).
    held_at_stop: int | None = None
    # Of the jobs the app counted not run, those the worker started once the app's drain had
    # ended (it runs until the sweep stops it, after the app); null: not counted.
    started_after_drain: int | None = None


@dataclass(frozen=True, slots=True)
class ServerMetrics:
    tasks: Mapping[str, TaskStats]
    event_loop_lag: Summary | None = field(metadata=_key("event_loop_lag_us"))
    gauges_max: Mapping[str, float | None]
    cpu_percent: float | None
    # The app's own clock for the load's requests: first byte in to last byte out.
    latency: Summary | None = field(metadata=_key("latency_us"))
    shutdown: Mapping[str, Any] | None
    resources: Resources | None = None  # null: not sampled, or too few seconds for a trend
    queue_worker: QueueWorker | None = None  # null: the strategy has no queue worker


@dataclass(frozen=True, slots=True)
class LocustWorker:
    """One Locust worker process of a distributed cell, as it reported itself: a worker on
    another machine is out of the sampler's sight, and the merged histograms hide one late
    or saturated worker among the others."""

    id: str  # Locust's client id: <hostname>_<uuid>
    requests: int  # answered in the measured phase, the probe's left out
    send_lag: Summary | None = field(metadata=_key("send_lag_us"))  # null: closed model
    cpu_percent: float | None  # its process, % of one core, over its reports in the phase
    cpu_percent_max: float | None  # its busiest report interval (~3 s)


@dataclass(frozen=True, slots=True)
class LoadGen:
    """How busy the load generator was, per core its processes could use (the processes the
    sampler sees: the local ones), and each Locust worker's own report."""

    cpu_percent: float | None
    cpu_percent_max: float | None
    processes: int
    cores: int
    locust_workers: tuple[LocustWorker, ...] = ()  # empty: one process recorded for itself


@dataclass(frozen=True, slots=True)
class Interference:
    """CPU that processes not of the cell used on its cores, in percent of one core (mean
    and worst second over the measured phase), and the time the hypervisor stole there."""

    seconds: int
    server_foreign_percent: float
    server_foreign_percent_max: float
    loadgen_foreign_percent: float
    loadgen_foreign_percent_max: float
    server_steal_percent: float
    loadgen_steal_percent: float


@dataclass(frozen=True, slots=True)
class HarnessShare:
    """Client minus server latency of the same requests: what the load generator and
    loopback add (µs), at the median and at the p99."""

    p50_us: float
    p99_us: float


@dataclass(frozen=True, slots=True)
class Accounting:
    enqueued: int
    completed: int
    failed: int
    not_run: int
    rejected: int
    lost: int
    balanced: bool
    source: str  # final | last_snapshot | windows: where the totals came from
    # Of the tasks the app enqueued, those its broker lost: never started, and no longer held
    # by the broker once the worker stopped (a part of its own, beside not_run; null: not
    # counted, for strategies without a broker and before version 7).
    lost_in_broker: int | None = None


@dataclass(frozen=True, slots=True)
class ClientHistograms:
    """One request name's encoded HDR histograms; any may be missing."""

    uncorrected: str | None
    corrected: str | None
    send_lag: str | None


@dataclass(frozen=True, slots=True)
class SecondHistograms:
    """Each second's own HDR histogram of each series (`names.SECOND_SERIES`), encoded, or
    None where that second recorded nothing. Merged, a series' seconds are exactly the cell's
    histogram of it; resampled by second, they give its percentiles' confidence intervals.

    `seconds` are epoch seconds, in order: for the client's series the second a request was
    meant to be sent in (warm-up requests are never in one), for the app's series the second
    of its /metrics/window; the measured phase's first and last seconds may be partial."""

    seconds: tuple[int, ...]
    series: Mapping[str, tuple[str | None, ...]]

    def of(self, name: str) -> tuple[str | None, ...]:
        """One series, second by second (all None if the cell did not record it)."""
        return self.series.get(name) or (None,) * len(self.seconds)


@dataclass(frozen=True, slots=True)
class Histograms:
    """histograms.json: encoded HDR histograms, decoded only by the analyses that need them."""

    probe: str | None  # the probe's request name among `client`; None: the cell had no probe
    client: Mapping[str, ClientHistograms]
    server: Mapping[str, Mapping[str, str]]  # task key -> timing name -> encoded
    event_loop_lag: str | None = field(metadata=_key("event_loop_lag_us"))
    # route path -> encoded: the app's own clock, per route it timed
    server_latency: Mapping[str, str] = field(metadata=_key("server_latency_us"))
    per_second: SecondHistograms


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """timeseries.csv: one row per second of the measured phase; an empty field is NaN."""

    columns: Mapping[str, FloatArray]

    @classmethod
    def from_rows(cls, rows: Sequence[Mapping[str, float | int | None]]) -> TimeSeries:
        return cls(
            {
                name: np.array(
                    [math.nan if row.get(name) is None else row[name] for row in rows],
                    dtype=np.float64,
                )
                for name in TIMESERIES_COLUMNS
            }
        )

    def column(self, name: str, loaded_only: bool = False) -> FloatArray:
        """The measured values of one column, the seconds with nothing measured left out, and
        with `loaded_only` the drain too (the seconds after the load stopped, offered 0)."""
        values = self.columns.get(name)
        if values is None:
            return np.empty(0)
        keep = ~np.isnan(values)
        offered = self.columns.get("offered_rps")
        if loaded_only and offered is not None:
            keep &= offered != 0
        kept: FloatArray = values[keep]
        return kept

    def has(self, name: str) -> bool:
        return name in self.columns

    def __len__(self) -> int:
        return len(self.columns.get("t_s", ()))


@dataclass(frozen=True, slots=True)
class Cell:
    """cell.json, with the cell's histograms and time series beside it."""

    schema_version: int
    cell_id: str
    index: int
    params: CellParams
    status: str  # ok | failed | invalid
    reason: str | None
    flags: tuple[str, ...]  # bgbench.trust judges them, once, when the sweep writes the cell
    flag_reasons: Mapping[str, str]  # each flag's reason, in words with the numbers
    started_at: str
    finished_at: str
    client: ClientMetrics | None
    server: ServerMetrics | None
    loadgen: LoadGen | None
    interference: Interference | None
    harness: HarnessShare | None
    accounting: Accounting | None
    pinning: Mapping[str, Any]
    histograms: Histograms | None = field(default=None, metadata={"stored": False})
    timeseries: TimeSeries | None = field(default=None, metadata={"stored": False})


@dataclass(frozen=True, slots=True)
class ManifestCell:
    cell_id: str
    status: str
    reason: str | None


@dataclass(frozen=True, slots=True)
class MissingCell:
    """A cell the manifest lists, or a directory holds, that could not be read."""

    cell_id: str
    why: str


@dataclass(frozen=True, slots=True)
class Run:
    path: Path
    run_id: str
    schema_version: int
    status: str
    started_at: str | None
    finished_at: str | None
    manifest: Mapping[str, Any]
    cells: tuple[Cell, ...]
    missing: tuple[MissingCell, ...]
    # Parts of the sweep left out before it started: [{strategy, reason}].
    skipped: tuple[Mapping[str, Any], ...]
