"""Which figures a run gets, and the data each is drawn from: the bridge between the
analysis and the pure figure functions. Nothing is drawn until a figure's `draw` is called."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial

from matplotlib.figure import Figure

from bgbench.results.model import Cell, Run
from reports import analysis
from reports.analysis import Point, Slice
from reports.figures.benchmarks import benchmark_bars
from reports.figures.completion import LagCurve, OutcomeRow, completion_lag_cdf, task_outcomes
from reports.figures.corrected import CorrectedLatency, corrected_vs_uncorrected
from reports.figures.percentiles import VariantLatency, latency_percentiles
from reports.figures.rate import RateLine, RatePoint, latency_vs_rate
from reports.figures.resources import ResourceLine, server_resources
from reports.figures.timeseries import cell_timeseries
from reports.figures.workers import WorkerLine, WorkerPoint, latency_vs_workers
from reports.pytest_benchmark import BenchmarkFile
from reports.style import strategy_colours, workload_colours


@dataclass(frozen=True, slots=True)
class PlannedFigure:
    name: str  # the files' stem: unique within a report, safe in a path
    title: str
    caption: str
    draw: Callable[[], Figure]


def slug(*parts: object) -> str:
    return re.sub(r"[^a-z0-9.]+", "-", "-".join(str(p) for p in parts).lower()).strip("-")


def _label(point: Point) -> str:
    return point.params.variant if point.usable else f"{point.params.variant} (flagged)"


def _ordered(group: Sequence[Point]) -> list[Point]:
    """The controls first, then the run's order."""
    rank = {name: i for i, name in enumerate(analysis.CONTROLS)}
    return sorted(group, key=lambda p: rank.get(p.params.strategy, len(rank)))


def _comparable(all_points: Sequence[Point]) -> list[Slice]:
    """Slices with two or more measured variants: the ones worth a side-by-side figure."""
    return [
        Slice(where, tuple(_ordered(group)))
        for where, group in analysis.slices(all_points)
        if sum(1 for p in group if p.shown) >= 2
    ]


def _percentiles(where: str, group: Sequence[Point]) -> PlannedFigure:
    rows = []
    for point in group:
        summary = analysis.latency_summary(point.shown)
        if summary is not None:
            rows.append(
                VariantLatency(_label(point), point.params.strategy, summary, not point.usable)
            )
    return PlannedFigure(
        slug("latency-percentiles", where),
        f"Response latency percentiles, {where}",
        "p50, p90, p99 and p99.9 of response latency per strategy (log scale); `none` (no "
        "background work) and `inline` (the request does the work) are the controls; the dashed "
        "line is the p99 with no background work. Flagged cells are grey and not trusted.",
        partial(latency_percentiles, f"Response latency, {where}", rows),
    )


def _corrected(where: str, group: Sequence[Point]) -> PlannedFigure | None:
    rows = []
    for point in group:
        uncorrected = analysis.latency_summary(point.shown)
        corrected = analysis.latency_summary(point.shown, corrected=True)
        if uncorrected is not None and corrected is not None:
            rows.append(
                CorrectedLatency(
                    _label(point), point.params.strategy, uncorrected, corrected, not point.usable
                )
            )
    if not rows:
        return None
    return PlannedFigure(
        slug("corrected-latency", where),
        f"Corrected against uncorrected latency, {where}",
        "Open-model cells: hollow markers measure from the actual send, filled ones from the "
        "intended send time. A gap means requests went out late because the server (or the "
        "load generator) stalled: the corrected numbers are what a user would have seen.",
        partial(corrected_vs_uncorrected, f"Coordinated omission, {where}", rows),
    )


def _lag_cdf(where: str, group: Sequence[Point]) -> PlannedFigure | None:
    measured = [(p, c) for p in group if (c := analysis.completion_lag_counts(p.shown)) is not None]
    if not measured:
        return None
    # Colours over the curves drawn: executor ×1 and executor ×5 are two curves, two shades.
    colours = strategy_colours(
        [p.params.strategy for p, _ in measured], [not p.usable for p, _ in measured]
    )
    curves = [
        LagCurve(_label(point), colour, *counts, flagged=not point.usable)
        for (point, counts), colour in zip(measured, colours, strict=True)
    ]
    return PlannedFigure(
        slug("completion-lag-cdf", where),
        f"Completion lag of background tasks, {where}",
        "Share of background tasks finished within a given time of being enqueued (from the "
        "server's HDR histograms, log scale). Further right is later; a curve that never "
        "reaches 1 within the run's range is work that waited in a backlog.",
        partial(completion_lag_cdf, f"Completion lag CDF, {where}", curves),
    )


def _outcomes(all_points: Sequence[Point]) -> PlannedFigure | None:
    rows: list[OutcomeRow] = []
    by_strategy: dict[str, list[Cell]] = {}
    for point in all_points:
        by_strategy.setdefault(point.params.strategy, []).extend(point.trusted)
    for strategy, cells in by_strategy.items():
        outcomes = analysis.task_outcomes(cells)
        if outcomes.enqueued:
            rows.append(OutcomeRow(strategy, outcomes))
    # Flagged cells stay out of their strategy's total but keep a row: lost work shows there.
    for point in all_points:
        for cell in point.cells:
            outcomes = analysis.task_outcomes([cell])
            if not analysis.usable(cell) and (outcomes.enqueued or outcomes.lost):
                rows.append(OutcomeRow(f"{cell.cell_id} (flagged)", outcomes))
    if not rows:
        return None
    return PlannedFigure(
        "task-outcomes",
        "Background tasks: completed, failed, not run, rejected, lost",
        "Per strategy, summed over its trusted cells (measured phase), the share of enqueued "
        "tasks by outcome; the counts that did not complete are written beside each bar. "
        "Flagged cells get a row each. Lost = enqueued − completed − failed − not run over the "
        "app's whole life.",
        partial(task_outcomes, "Background task outcomes", rows),
    )


def _worker_point(point: Point) -> WorkerPoint | None:
    latency = analysis.latency_summary(point.shown)
    if latency is None or point.params.workers is None:
        return None
    lag = analysis.completion_lag_summary(point.shown)
    return WorkerPoint(
        point.params.workers, latency.p50, latency.p99, lag.p99 if lag else None, not point.usable
    )


def _worker_line(label: str, colour: str, group: Sequence[Point], strategy: str) -> WorkerLine:
    found = [_worker_point(p) for p in analysis.worker_points(group, strategy)]
    return WorkerLine(label, colour, [p for p in found if p is not None])


def _workers_by_workload(slices: Iterable[Slice]) -> PlannedFigure | None:
    best: dict[str, tuple[str, list[Point]]] = {}
    for where, group in slices:
        executors = analysis.worker_points(group, "executor")
        if len(executors) < 2:
            continue
        workload = executors[0].params.workload
        if len(executors) > len(best.get(workload, (where, []))[1]):
            best[workload] = (where, executors)
    if not best:
        return None
    colours = workload_colours(list(best))
    lines = [
        _worker_line(where, colour, executors, "executor")
        for (where, executors), colour in zip(best.values(), colours, strict=True)
    ]
    return PlannedFigure(
        "workers-executor",
        "Latency and completion lag against the executor's worker limit",
        "executor (ThreadPoolExecutor) at each max_workers, one line per workload (at the load "
        "with the most worker limits): p50 and p99 response latency, and p99 completion lag of "
        "the background work. X marks a flagged cell, not joined to its line.",
        partial(latency_vs_workers, "Executor worker limit, per workload", lines),
    )


def _worker_kinds(where: str, group: Sequence[Point]) -> PlannedFigure | None:
    strategies = [
        s for s in analysis.WORKER_STRATEGIES if len(analysis.worker_points(group, s)) >= 1
    ]
    if len(strategies) < 2:
        return None
    colours = strategy_colours(strategies)
    lines = [
        _worker_line(s, colour, group, s) for s, colour in zip(strategies, colours, strict=True)
    ]
    return PlannedFigure(
        slug("workers-kinds", where),
        f"Threads, processes and Celery workers, {where}",
        "The same work dispatched to executor threads, process_pool processes and queue "
        "(Celery) worker processes, at each worker limit: p50 and p99 response latency and p99 "
        "completion lag. X marks a flagged cell.",
        partial(latency_vs_workers, f"Kinds of worker, {where}", lines),
    )


def _rate_point(point: Point) -> RatePoint | None:
    summary = analysis.latency_summary(point.shown)
    clients = [c.client for c in point.shown if c.client and c.client.expected_rps]
    if summary is None or not clients or not point.params.rate:
        return None
    achieved = sum(c.achieved_rps for c in clients) / len(clients)
    expected = sum(c.expected_rps or 0.0 for c in clients) / len(clients)
    return RatePoint(point.params.rate, achieved / expected, summary.p99, not point.usable)


def _rate_figures(all_points: Sequence[Point]) -> list[PlannedFigure]:
    """One figure per kind of work, with the `none` control drawn in each."""
    open_points = [p for p in all_points if p.params.model == "open" and p.params.rate]
    controls = [p for p in open_points if p.params.strategy == "none"]
    families: dict[str, list[Point]] = {}
    for point in open_points:
        if point.params.strategy != "none":
            families.setdefault(point.params.work, []).append(point)
    planned = []
    for work, members in families.items():
        variants: dict[str, list[RatePoint]] = {}
        for point in [*controls, *members]:
            rate_point = _rate_point(point)
            if rate_point is not None:
                variants.setdefault(point.params.variant, []).append(rate_point)
        strategies = {p.params.variant: p.params.strategy for p in [*controls, *members]}
        drawn = {variant: rates for variant, rates in variants.items() if len(rates) >= 2}
        colours = strategy_colours([strategies[variant] for variant in drawn])
        lines = [
            RateLine(variant, colour, rates)
            for (variant, rates), colour in zip(drawn.items(), colours, strict=True)
        ]
        # The control alone is no comparison: it needs a strategy that does the work.
        if any(line.label != "none" for line in lines):
            planned.append(
                PlannedFigure(
                    slug("latency-vs-rate", work),
                    f"Latency against offered rate, {work}",
                    "p99 response latency (left) and the share of the offered rate achieved "
                    "(right) per strategy. X marks a saturated point (achieved < 95% of "
                    "offered, or flagged); the dotted line is the first rate where it saturates.",
                    partial(latency_vs_rate, f"Offered rate, {work}", lines),
                )
            )
    return planned


MAX_FLAGGED_TIMESERIES = 8  # a sweep past saturation flags dozens: the first few say why


def _timeseries_cells(run: Run, extra: Sequence[str]) -> list[Cell]:
    """The first flagged cells (to show why), the trusted cell with the worst completion lag
    per workload (a backlog at its worst), and any asked for."""
    chosen: dict[str, Cell] = {}
    worst: dict[str, tuple[float, Cell]] = {}
    flagged = 0
    for cell in run.cells:
        if cell.timeseries is None or len(cell.timeseries) == 0:
            continue
        if cell.cell_id in extra:
            chosen[cell.cell_id] = cell
            continue
        if not analysis.usable(cell):
            flagged += 1
            if flagged <= MAX_FLAGGED_TIMESERIES:
                chosen[cell.cell_id] = cell
            continue
        lag = analysis.completion_lag_summary([cell])
        if lag is not None and lag.p99 > worst.get(cell.params.workload, (-1.0, cell))[0]:
            worst[cell.params.workload] = (lag.p99, cell)
    for _, cell in worst.values():
        chosen[cell.cell_id] = cell
    return sorted(chosen.values(), key=lambda c: c.index)


def _timeseries(cell: Cell) -> PlannedFigure:
    assert cell.timeseries is not None
    problems = analysis.problems(cell)
    why = f" Flagged: {'; '.join(problems)}." if problems else ""
    return PlannedFigure(
        slug("timeseries", cell.cell_id),
        f"Second by second: {cell.cell_id}",
        f"{cell.params.variant}, {analysis.slice_label(cell.params)}: offered and achieved rate, "
        f"response latency, backlog and completion lag per second of the measured phase.{why}",
        partial(cell_timeseries, f"{cell.cell_id}", cell.timeseries),
    )


MAX_RESOURCE_LINES = 8  # more lines than this are no longer told apart
GROWTH_FLAGS = ("memory_growth", "fd_growth")


def _resource_cells(run: Run) -> list[Cell]:
    """Cells that recorded the server's memory: those whose growth did not level off first,
    then the longest (a soak's cell; a short cell's start-up climb says little), in run
    order."""
    measured = [
        c
        for c in run.cells
        if c.timeseries is not None and c.timeseries.column("server_rss_mib").size
    ]
    ranked = sorted(
        measured,
        key=lambda c: (
            not any(f in c.flags for f in GROWTH_FLAGS),
            -len(c.timeseries or ()),
            c.index,
        ),
    )
    return sorted(ranked[:MAX_RESOURCE_LINES], key=lambda c: c.index)


def _resources(run: Run) -> PlannedFigure | None:
    cells = _resource_cells(run)
    if not cells:
        return None
    usable = [analysis.usable(c) for c in cells]
    colours = strategy_colours([c.params.strategy for c in cells], [not u for u in usable])
    lines = [
        ResourceLine(c.cell_id if u else f"{c.cell_id} (flagged)", colour, c.timeseries, c.flags)
        for c, u, colour in zip(cells, usable, colours, strict=True)
        if c.timeseries is not None
    ]
    return PlannedFigure(
        "server-resources",
        "The server's memory and open files, second by second",
        "RSS summed over the app's process tree (the app and its pool or queue workers; shared "
        "pages count once per process) and its open file descriptors, per second of the "
        f"measured phase, for up to {MAX_RESOURCE_LINES} cells: those flagged for growth that "
        "did not level off (dashed), then the longest. A line that flattens is memory that "
        "levels off; one that keeps its slope is a leak to look for.",
        partial(server_resources, "Server memory and open files", lines),
    )


def _benchmarks(files: Sequence[BenchmarkFile]) -> list[PlannedFigure]:
    return [
        PlannedFigure(
            slug("benchmarks", file.path.stem),
            f"pytest-benchmark: {file.path.name}",
            "Micro-benchmarks of the dispatch paths, in process: median time per call with its "
            f"interquartile range, grouped as pytest-benchmark grouped them ({file.datetime}).",
            partial(benchmark_bars, f"pytest-benchmark, {file.path.name}", file.groups),
        )
        for file in files
        if file.groups
    ]


def plan(
    run: Run, benchmarks: Sequence[BenchmarkFile] = (), timeseries: Sequence[str] = ()
) -> list[PlannedFigure]:
    all_points = analysis.points(run.cells)
    groups = _comparable(all_points)
    planned: list[PlannedFigure | None] = [
        *(_percentiles(*s) for s in groups),
        *(_corrected(*s) for s in groups),
        _workers_by_workload(analysis.slices(all_points)),
        *(_worker_kinds(*s) for s in groups),
        *_rate_figures(all_points),
        *(_lag_cdf(*s) for s in groups),
        _outcomes(all_points),
        *(_timeseries(c) for c in _timeseries_cells(run, timeseries)),
        _resources(run),
        *_benchmarks(benchmarks),
    ]
    return [p for p in planned if p is not None]
