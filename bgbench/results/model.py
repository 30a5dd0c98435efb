"""The loaded results, typed: what a run and its cells hold once read and validated.

Field names follow docs/results-format.md; latencies stay in microseconds as stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

SCHEMA_VERSION = 1

FloatArray = npt.NDArray[np.float64]


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
    raw: Mapping[str, Any] = field(compare=False)

    @property
    def load(self) -> str:
        """How hard the cell was driven, in words: `100 req/s` or `10 users`."""
        if self.model == "open":
            return f"{self.rate:g} req/s"
        return f"{self.users} users"

    @property
    def variant(self) -> str:
        """The strategy and its worker limit: what a line or a bar of a figure stands for."""
        name = self.strategy if self.workers is None else f"{self.strategy} ×{self.workers}"
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
    queue_wait: Summary
    run_time: Summary
    completion_lag: Summary


@dataclass(frozen=True, slots=True)
class ClientMetrics:
    requests: int
    failures: int
    dropped: int
    offered_rps: float | None
    scheduled_rps: float | None  # requests the schedule asked for, per second (open model)
    achieved_rps: float
    duration_s: float
    latency: Summary
    latency_corrected: Summary | None
    probe: Summary | None
    probe_name: str | None  # the probe's request name, when cell.json gives it

    @property
    def expected_rps(self) -> float | None:
        """The rate the achieved one is judged against: what the schedule asked for (Poisson
        arrivals wander a few per cent around the offered rate), or the offered rate in
        results that do not record it."""
        return self.scheduled_rps or self.offered_rps


@dataclass(frozen=True, slots=True)
class ServerMetrics:
    tasks: Mapping[str, TaskStats]
    event_loop_lag: Summary | None
    gauges_max: Mapping[str, float]


@dataclass(frozen=True, slots=True)
class Accounting:
    enqueued: int
    completed: int
    failed: int
    not_run: int
    rejected: int
    lost: int
    balanced: bool


@dataclass(frozen=True, slots=True)
class LoadGen:
    cpu_percent: float | None
    saturated: bool
    saturation_reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Histograms:
    """Encoded HDR histograms, decoded only by the analyses that need them."""

    # request name -> (uncorrected, corrected); either may be missing
    client: Mapping[str, tuple[str | None, str | None]]
    server: Mapping[str, Mapping[str, str]]  # task key -> timing name -> encoded
    event_loop_lag: str | None
    probe: str | None  # the probe's request name among `client`; None: the cell had no probe


@dataclass(frozen=True, slots=True)
class TimeSeries:
    """One row per second of the measured phase; an empty field reads as NaN."""

    columns: Mapping[str, FloatArray]

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
        """Whether the file has the column at all: older results lack the newer ones."""
        return name in self.columns

    def __len__(self) -> int:
        return len(self.columns.get("t_s", ()))


@dataclass(frozen=True, slots=True)
class Cell:
    cell_id: str
    index: int
    params: CellParams
    status: str
    reason: str | None
    flags: tuple[str, ...]
    client: ClientMetrics | None
    server: ServerMetrics | None
    loadgen: LoadGen | None
    accounting: Accounting | None
    timeseries: TimeSeries | None
    histograms: Histograms | None


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
