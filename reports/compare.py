"""Two runs side by side: cells matched by their parameters, each metric's relative change
with its confidence interval, and whether a significant regression exceeds the threshold."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bgbench import trust
from bgbench.results.errors import ReportInputError
from bgbench.results.model import Run
from bgbench.results.reader import read_schema_version
from reports import analysis
from reports.analysis import Point
from reports.stats import Interval, enough, relative_change


@dataclass(frozen=True, slots=True)
class Metric:
    column: str  # of timeseries.csv
    label: str
    higher_is_worse: bool
    # The drain after the load stopped achieves nothing: it would drag a rate down.
    loaded_only: bool = False


METRICS = (
    Metric("p50_us", "p50 latency", True),
    Metric("p99_us", "p99 latency", True),
    Metric("p99_corrected_us", "p99 latency, corrected", True),
    Metric("achieved_rps", "achieved rate", False, loaded_only=True),
    Metric("completion_lag_p99_us", "completion lag p99", True),
    Metric("event_loop_lag_p99_us", "event-loop lag p99", True),
)


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
    def regression(self) -> bool:
        """Significantly worse: the whole interval lies on the worse side of zero."""
        return self.change.significant and self.worse


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

    def failing(self) -> tuple[Change, ...]:
        """Significant regressions larger than the threshold."""
        return tuple(
            c for c in self.changes if c.regression and abs(c.change.estimate) > self.threshold
        )

    @property
    def regressed(self) -> bool:
        return bool(self.failing() or self.broken)

    @property
    def inconclusive(self) -> bool:
        return bool(self.untrustworthy)


def check_same_schema(run_a: Path, run_b: Path) -> None:
    version_a, version_b = read_schema_version(run_a), read_schema_version(run_b)
    if version_a != version_b:
        raise ReportInputError(
            f"refusing to compare runs of different schema versions: {run_a} is version "
            f"{version_a}, {run_b} is version {version_b}; re-run one with the other's bgbench"
        )


def _label(point: Point, varying: Sequence[str]) -> str:
    return f"{point.params.variant}, {analysis.slice_label(point.params, varying)}"


def _changes(label: str, before: Point, after: Point) -> list[Change]:
    changes = []
    for metric in METRICS:
        a = analysis.per_second(before.trusted, metric.column, metric.loaded_only)
        b = analysis.per_second(after.trusted, metric.column, metric.loaded_only)
        # No relative change from a zero mean (e.g. no event-loop lag measured at all).
        if enough(a, b) and a.mean() > 0:
            interval = relative_change(a, b)
            changes.append(Change(label, metric, float(a.mean()), float(b.mean()), interval))
    return changes


def compare_runs(run_a: Run, run_b: Run, threshold: float) -> Comparison:
    points_a = {p.params.point(): p for p in analysis.points(run_a.cells)}
    points_b = {p.params.point(): p for p in analysis.points(run_b.cells)}
    varying = analysis.varying_conditions([*points_a.values(), *points_b.values()])
    changes: list[Change] = []
    broken: list[str] = []
    untrustworthy: list[str] = []
    not_compared: list[str] = []
    for key, before in points_a.items():
        label = _label(before, varying)
        after = points_b.get(key)
        if after is None:
            not_compared.append(f"{label}: not in {run_b.run_id}")
        elif before.usable and after.usable:
            changes.extend(_changes(label, before, after))
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
    )
