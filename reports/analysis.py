"""Pure functions over a loaded run: which cells can be trusted, how cells group into points
(repeats of one parameter set) and slices (one workload at one load), and the numbers the
figures and findings are drawn from."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from bgbench import hdr, trust
from bgbench.contract import THREADPOOL_TOKENS
from bgbench.hdr import IntArray
from bgbench.queues import ALIASES, QUEUES
from bgbench.results.model import Cell, CellParams, FloatArray, Summary
from reports.stats import Seconds

CONTROLS = ("none", "inline")
# Strategies with a worker limit: executor threads, pool processes, each queue's own knob.
WORKER_STRATEGIES = ("executor", "process_pool", *QUEUES, *ALIASES)
# Why a cell may not be used is judged once, when the sweep writes it (bgbench.trust).
problems = trust.problems


def usable(cell: Cell) -> bool:
    return not problems(cell)


@dataclass(frozen=True, slots=True)
class Point:
    """One parameter set: its repeats, of which only the trusted ones count."""

    params: CellParams
    cells: tuple[Cell, ...]
    # A view that counts the flagged cells' numbers as if trusted (`as_measured`): to show
    # what was measured beside the flag, never to draw a finding or a choice from.
    flagged_counted: bool = False

    @property
    def trusted(self) -> tuple[Cell, ...]:
        if self.flagged_counted:
            return tuple(c for c in self.cells if c.client is not None)
        return tuple(c for c in self.cells if usable(c))

    def as_measured(self) -> Point:
        return Point(self.params, self.cells, flagged_counted=True)

    @property
    def usable(self) -> bool:
        return bool(self.trusted)

    @property
    def shown(self) -> tuple[Cell, ...]:
        """The cells a figure draws: the trusted ones, or (flagged) whatever was measured."""
        return self.trusted or tuple(c for c in self.cells if c.client is not None)

    @property
    def problems(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(p for c in self.cells for p in problems(c)))

    @property
    def cell_ids(self) -> tuple[str, ...]:
        return tuple(c.cell_id for c in self.cells)


def points(cells: Iterable[Cell]) -> list[Point]:
    grouped: dict[tuple[tuple[str, str], ...], list[Cell]] = {}
    for cell in cells:
        grouped.setdefault(cell.params.point(), []).append(cell)
    return [Point(group[0].params, tuple(group)) for group in grouped.values()]


# Besides the work and the load, what must match for cells to be compared side by side.
CONDITIONS = ("arrival", "threadpool_tokens", "probe_rate")


def _conditions(params: CellParams) -> tuple[object, ...]:
    load = params.rate if params.model == "open" else params.users
    return (params.model, load, *(params.raw.get(name) for name in CONDITIONS))


def slice_label(params: CellParams, varying: Collection[str] | None = None) -> str:
    """The work and the load, then the conditions that vary within the run (`varying`), or
    when that is not known, those that differ from the defaults."""
    label = f"{params.work} at {params.load}"
    arrival, tokens = params.raw.get("arrival"), params.raw.get("threadpool_tokens")
    if arrival and (arrival == "poisson" if varying is None else "arrival" in varying):
        label += f", {arrival} arrivals"
    if tokens is not None and (
        tokens != THREADPOOL_TOKENS if varying is None else "threadpool_tokens" in varying
    ):
        label += f", {tokens} thread-pool tokens"
    if varying is None or "probe_rate" in varying:
        if params.probe_rate:
            label += ", with a probe"
        elif varying is not None:
            label += ", no probe"
    return label


class Slice(NamedTuple):
    """Points comparable side by side: the same work at the same load; strategies and worker
    limits vary. The `none` control does no work, so it joins every slice at its load."""

    label: str
    points: tuple[Point, ...]


def varying_conditions(all_points: Iterable[Point]) -> list[str]:
    """The CONDITIONS that take more than one value among these points: worth naming."""
    values: dict[str, set[str]] = {name: set() for name in CONDITIONS}
    for point in all_points:
        for name in CONDITIONS:
            values[name].add(repr(point.params.raw.get(name)))
    return [name for name in CONDITIONS if len(values[name]) > 1]


def slices(all_points: Sequence[Point]) -> list[Slice]:
    varying = varying_conditions(all_points)
    work: dict[tuple[object, ...], list[Point]] = {}
    controls: dict[tuple[object, ...], list[Point]] = {}
    for point in all_points:
        params = point.params
        if params.strategy == "none":
            controls.setdefault(_conditions(params), []).append(point)
        else:
            work.setdefault((params.workload, params.ms, *_conditions(params)), []).append(point)
    found = []
    joined = set()
    for key, group in work.items():
        shared = controls.get(key[2:], [])
        joined.add(key[2:])
        found.append(Slice(slice_label(group[0].params, varying), (*shared, *group)))
    found.extend(
        Slice(slice_label(group[0].params, varying), tuple(group))
        for conditions, group in controls.items()
        if conditions not in joined
    )
    # In run order: by the first cell of each slice.
    return sorted(found, key=lambda s: min(c.index for p in s.points for c in p.cells))


def find(group: Sequence[Point], strategy: str, workers: int | None = None) -> Point | None:
    for point in group:
        if point.params.strategy == strategy and point.params.workers == workers:
            return point
    return None


def seconds(cells: Iterable[Cell], series: str) -> Seconds | None:
    """A series' per-second histograms (`bgbench.results.names.SECOND_SERIES`) over the
    cells, each cell a repeat: what every percentile and its interval is computed from."""
    return Seconds.of([c.histograms.per_second.of(series) for c in cells if c.histograms])


def per_second(cells: Iterable[Cell], column: str, loaded_only: bool = False) -> FloatArray:
    """A time-series column over the cells' measured seconds, repeats pooled; `loaded_only`
    leaves out the drain after the load stopped (offered rate 0). For counts, rates and
    gauges: a percentile is never averaged over seconds (`seconds` instead)."""
    parts = [c.timeseries.column(column, loaded_only) for c in cells if c.timeseries is not None]
    return np.concatenate(parts) if parts else np.empty(0)


Counts = tuple[FloatArray, IntArray]


def histogram_counts(encoded: Sequence[str]) -> Counts | None:
    """Values (highest equivalent, as HDR percentiles report them) and counts, merged."""
    merged = _merged(tuple(encoded)) if encoded else None
    return None if merged is None else merged[1]


@functools.cache
def _merged(encoded: tuple[str, ...]) -> tuple[Summary, Counts] | None:
    # Decoding is the slow part and every figure asks again for the same cells: once each.
    merged = hdr.merge(encoded)
    if merged.get_total_count() == 0:
        return None
    values, counts = hdr.value_counts(merged)
    floats = values.astype(np.float64)
    floats.flags.writeable = counts.flags.writeable = False  # shared by every caller
    return Summary.of(hdr.summarize(merged)), (floats, counts)


def _encoded_requests(cells: Iterable[Cell], probe: bool, corrected: bool) -> list[str]:
    found: list[str] = []
    for cell in cells:
        if cell.histograms is None:
            continue
        for name, pair in cell.histograms.client.items():
            chosen = pair.corrected if corrected else pair.uncorrected
            if (name == cell.histograms.probe) == probe and chosen is not None:
                found.append(chosen)
    return found


def _lag_encoded(cells: Iterable[Cell]) -> list[str]:
    return [
        timings["completion_lag_us"]
        for cell in cells
        if cell.histograms is not None
        for timings in cell.histograms.server.values()
        if "completion_lag_us" in timings
    ]


def completion_lag_counts(cells: Iterable[Cell]) -> Counts | None:
    """Every task key's completion lag, merged: the cell's background work as a whole."""
    return histogram_counts(_lag_encoded(cells))


def _merged_summary(encoded: list[str]) -> Summary | None:
    merged = _merged(tuple(encoded)) if encoded else None
    return None if merged is None else merged[0]


def latency_summary(
    cells: Sequence[Cell], *, probe: bool = False, corrected: bool = False
) -> Summary | None:
    """One summary over repeats: merged histograms when stored, else the cell's own."""
    merged = _merged_summary(_encoded_requests(cells, probe, corrected))
    if merged is not None or len(cells) != 1 or cells[0].client is None:
        return merged
    client = cells[0].client
    if probe:
        return client.probe.latency if client.probe else None
    return client.latency_corrected if corrected else client.latency


def completion_lag_summary(cells: Sequence[Cell]) -> Summary | None:
    merged = _merged_summary(_lag_encoded(cells))
    if merged is not None or len(cells) != 1 or cells[0].server is None:
        return merged
    # No histograms stored: the cell's own summary, when it has a single task key.
    tasks = list(cells[0].server.tasks.values())
    return tasks[0].completion_lag if len(tasks) == 1 else None


@dataclass(frozen=True, slots=True)
class TaskOutcomes:
    enqueued: int
    completed: int
    failed: int
    not_run: int
    rejected: int
    lost: int


def task_outcomes(cells: Iterable[Cell]) -> TaskOutcomes:
    """What became of every task the cells' apps enqueued, from each app's own last word
    (its accounting: warm-up, measured phase and drain alike). Each task is counted once,
    by one outcome, so the shares add up to 100%: the measured phase's windows cannot say
    that, since they count the warm-up's tasks finishing in it but not those of its own
    that finish in the drain."""
    totals = dict.fromkeys(("enqueued", "completed", "failed", "not_run", "rejected", "lost"), 0)
    for cell in cells:
        if cell.accounting is not None:
            for name in totals:
                totals[name] += getattr(cell.accounting, name)
            # What the broker lost is lost too, here: the parts add up to what was enqueued.
            totals["lost"] += cell.accounting.lost_in_broker or 0
    return TaskOutcomes(**totals)


def worker_points(group: Sequence[Point], strategy: str) -> list[Point]:
    """The strategy's points with a worker limit, fewest workers first."""
    found = [p for p in group if p.params.strategy == strategy and p.params.workers is not None]
    return sorted(found, key=lambda p: p.params.workers or 0)
