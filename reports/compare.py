"""Two runs side by side: cells matched by their parameters, each metric's relative change
with its confidence interval and its minimum detectable effect, and whether a significant
regression exceeds the threshold, what the runs can resolve, and how far all the cells moved.

Percentiles are those of merged histograms, their intervals from resampling seconds (with
repeats, repeats first: `reports.stats`); the open model's throughput is the share of the
scheduled requests answered, the closed model's the mean of per-second counts. A change
smaller than the comparison's minimum detectable effect (80% power at the 5% level) or than
the runs' spread is never called a regression: the runs are too short, or too noisy, to tell
it from nothing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bgbench import trust
from bgbench.results import names, upgrade
from bgbench.results.errors import ReportInputError
from bgbench.results.model import Run
from bgbench.results.reader import read_schema_version
from reports import analysis, estimates
from reports.analysis import Point
from reports.stats import Interval, detectable, enough, relative_change, share_change


@dataclass(frozen=True, slots=True)
class Metric:
    label: str
    higher_is_worse: bool
    series: str | None = None  # a latency: a percentile of this per-second histogram series
    percentile: float = 99.0
    column: str | None = None  # a rate: the mean of this time-series column, loaded seconds
    # The open model's throughput: the share of the requests the schedule sent that were
    # answered. Poisson arrivals make the rate itself differ from run to run by chance.
    answered: bool = False


METRICS = (
    Metric("p50 latency", True, names.RESPONSE, 50.0),
    Metric("p99 latency", True, names.RESPONSE, 99.0),
    Metric("p99 latency, corrected", True, names.RESPONSE_CORRECTED, 99.0),
    Metric("answered share", False, answered=True),
    Metric("achieved rate, closed model", False, column="achieved_rps"),
    Metric("completion lag p99", True, names.COMPLETION_LAG, 99.0),
    Metric("event-loop lag p99", True, names.EVENT_LOOP_LAG, 99.0),
    Metric("probe p90", True, names.PROBE, 90.0),
)


# The fewest cells compared on a metric for their spread to say how much runs drift.
SPREAD_CELLS = 5


@dataclass(frozen=True, slots=True)
class Change:
    cell: str
    metric: Metric
    before: float
    after: float
    change: Interval  # relative: 0.1 is 10% more

    @property
    def worse(self) -> bool:
        return (self.change.estimate > 0) == self.metric.higher_is_worse

    @property
    def detectable(self) -> float:
        """The minimum detectable effect of this comparison, relative (0.1 is 10%)."""
        return self.change.detectable or 0.0

    @property
    def regression(self) -> bool:
        """Significantly worse: the whole interval lies on the worse side of zero."""
        return self.change.significant and self.worse

    def beyond(self, threshold: float, spread: float = 0.0) -> bool:
        """Larger than the threshold, than what the runs can resolve, and than the runs'
        own spread from one to the other (`Comparison.spread`)."""
        return abs(self.change.estimate) > max(threshold, self.detectable, spread)


@dataclass(frozen=True, slots=True)
class Comparison:
    run_a: Run
    run_b: Run
    threshold: float
    changes: tuple[Change, ...]
    broken: tuple[str, ...]  # trusted in A, broken in B: a regression whatever the numbers
    # Trusted in one run, flagged in the other for how it was measured (a busy machine, a late
    # or saturated load generator): no regression can be called either way.
    untrustworthy: tuple[str, ...]
    not_compared: tuple[str, ...]
    # Every matched point's changes as measured, flagged cells too: how far the cells moved
    # from one run to the other, which is what `spread` and `shifted` read (never a verdict).
    moved: tuple[Change, ...] = ()

    def failing(self) -> tuple[Change, ...]:
        """Significant regressions larger than the threshold, the detectable effect and the
        runs' spread."""
        spread = self.spread()
        return tuple(
            c
            for c in self.changes
            if c.regression and c.beyond(self.threshold, spread.get(c.metric.label, 0.0))
        )

    @property
    def regressed(self) -> bool:
        return bool(self.failing() or self.broken)

    @property
    def inconclusive(self) -> bool:
        """Some point was trusted in one run only, nothing could be compared at all (both
        runs flagged throughout, e.g. both on a busy machine), or every cell moved together:
        no 0 is earned."""
        return bool(self.untrustworthy) or not self.changes or bool(self.shifted())

    def _by_metric(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for change in self.moved or self.changes:
            found.setdefault(change.metric.label, []).append(change.change.estimate)
        return {label: v for label, v in found.items() if len(v) >= SPREAD_CELLS}

    def spread(self) -> dict[str, float]:
        """Per metric, the smallest change that stands out from how much all the cells moved
        between the two runs: the bootstrap within a run cannot see the machine drifting
        from one run to the next, but the cells' changes can. 1.4826 × the median absolute
        change estimates their standard deviation (robust to the one cell that really
        changed), and the minimum detectable effect follows from it."""
        return {
            label: detectable(1.4826 * statistics.median(abs(v) for v in found))
            for label, found in self._by_metric().items()
        }

    def shifted(self) -> dict[str, float]:
        """The metrics whose median change over the cells exceeds the threshold: everything
        moved together, the machine or a change that touches every request. Without repeats
        the two cannot be told apart."""
        return {
            label: median
            for label, found in self._by_metric().items()
            if abs(median := statistics.median(found)) > self.threshold
        }

    def detectable(self) -> dict[str, float]:
        """Per metric, the median minimum detectable effect over the cells compared."""
        by_metric: dict[str, list[float]] = {}
        for change in self.changes:
            by_metric.setdefault(change.metric.label, []).append(change.detectable)
        return {label: statistics.median(found) for label, found in by_metric.items()}


def check_same_schema(run_a: Path, run_b: Path) -> None:
    version_a, version_b = read_schema_version(run_a), read_schema_version(run_b)
    if not upgrade.comparable(version_a, version_b):
        raise ReportInputError(
            f"refusing to compare runs of different schema versions: {run_a} is version "
            f"{version_a}, {run_b} is version {version_b}; re-run one with the other's bgbench"
        )


def _label(point: Point, varying: Sequence[str]) -> str:
    return f"{point.params.variant}, {analysis.slice_label(point.params, varying)}"


def _answered(point: Point) -> tuple[int, int] | None:
    """Requests answered and sent (answered, unanswered at the stop, or dropped), repeats
    added up; None for the closed model, which has no schedule."""
    clients = [c.client for c in point.trusted if c.client is not None]
    if not clients or any(c.offered_rps is None for c in clients):
        return None
    return sum(c.requests for c in clients), sum(c.sent for c in clients)


def _percentile_change(label: str, metric: Metric, before: Point, after: Point) -> Change | None:
    assert metric.series is not None
    change = estimates.change(before, after, metric.series, metric.percentile, relative=True)
    a = estimates.level(before, metric.series, metric.percentile)
    b = estimates.level(after, metric.series, metric.percentile)
    # No relative change from a zero (e.g. no event-loop lag measured at all).
    if change is None or a is None or b is None or a.value <= 0:
        return None
    return Change(label, metric, a.value, b.value, change)


def _answered_change(label: str, metric: Metric, before: Point, after: Point) -> Change | None:
    counts_a, counts_b = _answered(before), _answered(after)
    if counts_a is None or counts_b is None or 0 in (counts_a[0], counts_b[0]):
        return None
    share_a, share_b = counts_a[0] / counts_a[1], counts_b[0] / counts_b[1]
    return Change(label, metric, share_a, share_b, share_change(counts_a, counts_b))


def _rate_change(label: str, metric: Metric, before: Point, after: Point) -> Change | None:
    assert metric.column is not None
    if _answered(before) is not None:
        return None  # the open model: its throughput is the answered share
    x = analysis.per_second(before.trusted, metric.column, loaded_only=True)
    y = analysis.per_second(after.trusted, metric.column, loaded_only=True)
    if not enough(x, y) or x.mean() <= 0:
        return None
    return Change(label, metric, float(x.mean()), float(y.mean()), relative_change(x, y))


def _change(label: str, metric: Metric, before: Point, after: Point) -> Change | None:
    if metric.series is not None:
        return _percentile_change(label, metric, before, after)
    if metric.answered:
        return _answered_change(label, metric, before, after)
    return _rate_change(label, metric, before, after)


def _changes(label: str, before: Point, after: Point) -> list[Change]:
    found = (_change(label, metric, before, after) for metric in METRICS)
    return [change for change in found if change is not None]


def compare_runs(run_a: Run, run_b: Run, threshold: float) -> Comparison:
    points_a = {p.params.point(): p for p in analysis.points(run_a.cells)}
    points_b = {p.params.point(): p for p in analysis.points(run_b.cells)}
    varying = analysis.varying_conditions([*points_a.values(), *points_b.values()])
    changes: list[Change] = []
    moved: list[Change] = []
    broken: list[str] = []
    untrustworthy: list[str] = []
    not_compared: list[str] = []
    for key, before in points_a.items():
        label = _label(before, varying)
        after = points_b.get(key)
        if after is None:
            not_compared.append(f"{label}: not in {run_b.run_id}")
            continue
        measured = _changes(label, before.as_measured(), after.as_measured())
        moved.extend(measured)
        if before.usable and after.usable:
            # Every cell trusted on both sides: the changes as measured are the changes.
            everything = all(analysis.usable(c) for c in (*before.cells, *after.cells))
            changes.extend(measured if everything else _changes(label, before, after))
        elif not before.usable and not after.usable:
            not_compared.append(f"{label}: flagged in both ({'; '.join(after.problems)})")
        else:
            trusted_in, flagged_in, flagged = (
                ("A", "B", after) if before.usable else ("B", "A", before)
            )
            why = f"{label}: trusted in {trusted_in}, but in {flagged_in} " + "; ".join(
                flagged.problems
            )
            if all(trust.measurement_only(cell) for cell in flagged.cells):
                untrustworthy.append(why)  # how it was measured: no verdict either way
            elif flagged_in == "B":
                broken.append(why)  # it broke: a regression whatever the numbers
            else:
                not_compared.append(why)
    not_compared.extend(
        f"{_label(p, varying)}: not in {run_a.run_id}"
        for k, p in points_b.items()
        if k not in points_a
    )
    return Comparison(
        run_a,
        run_b,
        threshold,
        tuple(changes),
        tuple(broken),
        tuple(untrustworthy),
        tuple(not_compared),
        tuple(moved),
    )
