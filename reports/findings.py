"""Findings in words, computed from a run: each with its numbers and a confidence interval.

Only trusted cells count (status ok, load generator not saturated, offered rate achieved);
the flagged ones of a slice are named in the finding as not counted. A finding whose cells
the run lacks is skipped, and the report says which and why.

Response latency, completion lag, event-loop lag and the /baseline-sync probe are compared as
the mean of their per-second p99 (the time series), resampled by second. Results written before
the time series had the probe's column compare the probe by the p99 of its histogram instead,
resampled by request, and the finding says so.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bgbench.hdr import quantile_of_counts
from bgbench.results.model import Run
from bgbench.units import duration
from reports import analysis
from reports.analysis import Point, Slice
from reports.formatting import interval_text, plural, share
from reports.stats import (
    Interval,
    enough,
    mean_difference,
    mean_interval,
    proportion_interval,
    quantile_difference,
)

P50 = "p50_us"
P99 = "p99_us"
LAG_P99 = "completion_lag_p99_us"
LOOP_P99 = "event_loop_lag_p99_us"
PROBE_P99 = "probe_p99_us"
# The most thread-pool tokens in use: the app's peak (it looks every 10 ms), or in older results
# only the sample it takes once a second.
TOKENS_PEAK = "threadpool_tokens_in_use_max"
TOKENS_SAMPLED = "threadpool_tokens_in_use"
MIDDLEWARE = {
    "middleware_base": 'tasks attached in an @app.middleware("http")',
    "middleware_asgi": "tasks attached in a pure ASGI middleware",
}


@dataclass(frozen=True, slots=True)
class Measure:
    what: str
    interval: Interval
    as_share: bool = False


@dataclass(frozen=True, slots=True)
class Finding:
    kind: str
    where: str  # the slice: work, load and conditions
    text: str
    measures: tuple[Measure, ...]
    cells: tuple[str, ...]
    not_counted: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Skipped:
    kind: str
    title: str
    reason: str


@dataclass(frozen=True, slots=True)
class Findings:
    found: tuple[Finding, ...]
    skipped: tuple[Skipped, ...]


Groups = Sequence[Slice]


def _difference(before: Point, after: Point, column: str) -> Interval | None:
    """after − before of the mean per-second value, or None with too few seconds."""
    a = analysis.per_second(before.trusted, column)
    b = analysis.per_second(after.trusted, column)
    return mean_difference(a, b) if enough(a, b) else None


def _level(point: Point, column: str) -> float:
    return float(analysis.per_second(point.trusted, column).mean())


def _not_counted(
    group: Sequence[Point], strategies: Sequence[str] | None = None
) -> tuple[str, ...]:
    return tuple(
        f"{p.params.variant} ({'; '.join(p.problems)})"
        for p in group
        if not p.usable and (strategies is None or p.params.strategy in strategies)
    )


def _cells(*chosen: Point) -> tuple[str, ...]:
    return tuple(cell_id for point in chosen for cell_id in point.cell_ids)


def lowest_p99(groups: Groups) -> list[Finding]:
    found = []
    for where, group in groups:
        candidates = [
            p
            for p in group
            if p.usable
            and p.params.strategy not in analysis.CONTROLS
            and enough(analysis.per_second(p.trusted, P99))
        ]
        if len(candidates) < 2:
            continue
        best, runner_up = sorted(candidates, key=lambda p: _level(p, P99))[:2]
        gap = _difference(best, runner_up, P99)
        assert gap is not None  # both have enough seconds: checked above
        best_p99 = mean_interval(analysis.per_second(best.trusted, P99))
        lead = (
            f"{best.params.variant} keeps p99 response latency lowest"
            if gap.significant
            else f"{best.params.variant} and {runner_up.params.variant} tie for the lowest p99"
        )
        text = (
            f"At {where}, {lead}: {duration(best_p99.estimate)} (mean per-second p99, "
            f"95% CI {duration(best_p99.low)} to {duration(best_p99.high)}); "
            f"{runner_up.params.variant} is {interval_text(gap)} slower, next of "
            f"{len(candidates)} strategies."
        )
        found.append(
            Finding(
                "lowest_p99",
                where,
                text,
                (Measure(f"p99 {runner_up.params.variant} − {best.params.variant}", gap),),
                _cells(best, runner_up),
                _not_counted(group, None),
            )
        )
    return found


Step = tuple[Point, Point, Interval]  # fewer workers, more workers, the change in lag


def _helped(step: Step) -> bool:
    return step[2].significant and step[2].estimate < 0


def _step_text(step: Step) -> str:
    before, after, change = step
    return f"{before.params.workers} → {after.params.workers} changed it by {interval_text(change)}"


def _knee(strategy: str, steps: list[Step]) -> tuple[str, list[Step]]:
    """The limit after the last step that helped significantly: no step past it did. (The
    first step that does not help is no knee if a later one still does.)"""
    helped = [i for i, step in enumerate(steps) if _helped(step)]
    last = helped[-1] if helped else -1
    if last == len(steps) - 1:
        workers = plural(steps[-1][1].params.workers or 0, f"{strategy} worker")
        return f"every step up to {workers} still helped: {_step_text(steps[-1])}", steps[-1:]
    knee = steps[last + 1]
    workers = plural(knee[0].params.workers or 0, f"{strategy} worker")
    text = f"more than {workers} stopped helping: {_step_text(knee)}"
    if last + 2 < len(steps):
        text += ", and no step after it helped either"
    if last >= 0:
        text += f"; whereas {_step_text(steps[last])}"
        return text, [steps[last], knee]
    return text, [knee]


def worker_limit(groups: Groups) -> list[Finding]:
    found = []
    for where, group in groups:
        for strategy in analysis.WORKER_STRATEGIES:
            limits = [
                p
                for p in analysis.worker_points(group, strategy)
                if p.usable and enough(analysis.per_second(p.trusted, LAG_P99))
            ]
            if len(limits) < 2:
                continue
            steps = []
            for before, after in itertools.pairwise(limits):
                change = _difference(before, after, LAG_P99)
                assert change is not None  # every limit has enough seconds: checked above
                steps.append((before, after, change))
            knee, shown = _knee(strategy, steps)
            found.append(
                Finding(
                    "worker_limit",
                    where,
                    f"At {where}, completion-lag p99 (mean per-second): {knee}.",
                    tuple(
                        Measure(f"lag p99 {b.params.variant} − {a.params.variant}", c)
                        for a, b, c in shown
                    ),
                    _cells(*limits),
                    _not_counted(group, [strategy]),
                )
            )
    return found


def _probe_counts(point: Point) -> analysis.Counts | None:
    return analysis.request_counts(point.trusted, probe=True)


@dataclass(frozen=True, slots=True)
class _ProbeP99:
    """How the probe's p99 is compared: second by second like everything else, or, for results
    whose time series has no probe column yet, over all its requests (its histogram, resampled
    by request: that treats requests as independent, which they are not, so its intervals come
    out too narrow)."""

    by_second: bool

    @classmethod
    def of(cls, *compared: Point) -> _ProbeP99:
        cells = [c for point in compared for c in point.trusted]
        return cls(all(c.timeseries is not None and c.timeseries.has(PROBE_P99) for c in cells))

    @property
    def words(self) -> str:
        return "mean per-second p99" if self.by_second else "p99 over all its requests"

    @property
    def note(self) -> str:
        """A sentence to end the finding with: how the fallback was computed, and its caveat."""
        if self.by_second:
            return ""
        return (
            " These results have no per-second probe p99, so the probe's p99 comes from its "
            "histogram, resampled by request: its interval is likely too narrow."
        )

    def change(self, before: Point, after: Point) -> Interval | None:
        """after − before, or None if either lacks the measurements."""
        if self.by_second:
            return _difference(before, after, PROBE_P99)
        counts = _probe_counts(before), _probe_counts(after)
        if counts[0] is None or counts[1] is None:
            return None
        return quantile_difference(counts[0], counts[1], 99.0)

    def level(self, point: Point) -> float:
        """The point's p99; only for a point that `change` had the measurements of."""
        if self.by_second:
            return _level(point, PROBE_P99)
        counts = _probe_counts(point)
        assert counts is not None  # `change` returned an interval: the histogram is there
        return quantile_of_counts(*counts, 99.0)


def _gauge_max(point: Point, gauge: str) -> float | None:
    """The gauge's maximum over the point's trusted cells; None if one of them lacks it."""
    gauges = [c.server.gauges_max for c in point.trusted if c.server is not None]
    values = [g.get(gauge) for g in gauges]
    known = [v for v in values if v is not None]
    if not gauges or len(known) < len(values):
        return None
    return max(known)


def _pool_use(point: Point) -> str:
    """Whether the thread pool ran out, which tells starvation from a blocked event loop."""
    total = point.params.raw.get("threadpool_tokens")
    peak = _gauge_max(point, TOKENS_PEAK)
    if peak is not None:
        if total is None:
            return f"peak {peak:g} thread-pool tokens in use"
        verdict = "ran out" if peak >= total else "did not run out"
        return f"peak {peak:g} of {total} thread-pool tokens in use: the pool {verdict}"
    # Older results: a sample once a second, so a short peak between samples goes unseen.
    sampled = _gauge_max(point, TOKENS_SAMPLED) or 0
    if total is None:
        return f"thread-pool tokens in use peaked at {sampled:g} (sampled each second)"
    if sampled >= total:
        return f"the thread pool ran out: all {total} tokens were in use"
    return (
        f"the thread pool was not seen to run out (sampled each second, at most {sampled:g} of "
        f"{total} tokens in use)"
    )


def starvation(groups: Groups) -> list[Finding]:
    found = []
    for where, group in groups:
        control = analysis.find(group, "none")
        if control is None or not control.usable:
            continue
        others = [p for p in group if p.usable and p is not control]
        probe = _ProbeP99.of(control, *others)
        changes = [(p, c) for p in others if (c := probe.change(control, p)) is not None]
        if not changes:
            continue
        worst, change = max(changes, key=lambda pc: pc[1].estimate)
        before = duration(probe.level(control))
        slower = [p.params.variant for p, c in changes if c.significant and c.estimate > 0]
        if change.significant and change.estimate > 0:
            text = (
                f"At {where}, {worst.params.variant} slows the /baseline-sync probe (a "
                f"`def` endpoint: it needs a thread-pool token and the event loop): its "
                f"{probe.words} rose by {interval_text(change)} over {before} with no background "
                f"work; {_pool_use(worst)}. Significantly slower probes: {', '.join(slower)}."
                f"{probe.note}"
            )
        else:
            text = (
                f"At {where}, no strategy slowed the /baseline-sync probe's {probe.words} "
                f"significantly: the largest change, with {worst.params.variant}, is "
                f"{interval_text(change)} over {before} with no background work.{probe.note}"
            )
        found.append(
            Finding(
                "starvation",
                where,
                text,
                (Measure(f"probe p99 {worst.params.variant} − none", change),),
                _cells(control, *(p for p, _ in changes)),
                _not_counted(group),
            )
        )
    return found


def blocking(groups: Groups) -> list[Finding]:
    found = []
    for where, group in groups:
        blocking_point = analysis.find(group, "background_blocking")
        async_point = analysis.find(group, "background_async")
        if not (blocking_point and async_point and blocking_point.usable and async_point.usable):
            continue
        loop = _difference(async_point, blocking_point, LOOP_P99)
        response = _difference(async_point, blocking_point, P99)
        if loop is None or response is None:
            continue
        measures = [Measure("event-loop lag p99", loop), Measure("response p99", response)]
        text = (
            f"At {where}, a blocking call inside an async task (background_blocking "
            f"against background_async) changes event-loop lag p99 by {interval_text(loop)} "
            f"and every request's p99 response latency by {interval_text(response)}"
        )
        probe = _ProbeP99.of(async_point, blocking_point)
        probe_change = probe.change(async_point, blocking_point)
        note = ""
        if probe_change is not None:
            measures.append(Measure("/baseline-sync probe p99", probe_change))
            text += f"; the /baseline-sync probe's {probe.words} by {interval_text(probe_change)}"
            note = probe.note
        found.append(
            Finding(
                "blocking",
                where,
                f"{text}.{note}",
                tuple(measures),
                _cells(async_point, blocking_point),
                _not_counted(group, ["background_blocking", "background_async"]),
            )
        )
    return found


def _pairwise(
    kind: str, groups: Groups, base: str, others: Sequence[str], describe: Callable[[str], str]
) -> list[Finding]:
    """p50 and p99 of each of `others` against `base`, in every slice that has both."""
    found = []
    for where, group in groups:
        reference = analysis.find(group, base)
        if reference is None or not reference.usable:
            continue
        for strategy in others:
            other = analysis.find(group, strategy)
            if other is None or not other.usable:
                continue
            p50 = _difference(reference, other, P50)
            p99 = _difference(reference, other, P99)
            if p50 is None or p99 is None:
                continue
            text = (
                f"At {where}, {strategy} ({describe(strategy)}) changes response "
                f"latency against {base} by {interval_text(p50)} at p50 and "
                f"{interval_text(p99)} at p99 (means of per-second percentiles)."
            )
            found.append(
                Finding(
                    kind,
                    where,
                    text,
                    (
                        Measure(f"p50 {strategy} − {base}", p50),
                        Measure(f"p99 {strategy} − {base}", p99),
                    ),
                    _cells(reference, other),
                    _not_counted(group, [base, strategy]),
                )
            )
    return found


def middleware_cost(groups: Groups) -> list[Finding]:
    return _pairwise("middleware", groups, "background", list(MIDDLEWARE), lambda s: MIDDLEWARE[s])


def inline_cost(groups: Groups) -> list[Finding]:
    return _pairwise(
        "inline", groups, "background", ["inline"], lambda _: "the request does the work itself"
    )


def tasks_not_run(groups: Groups) -> list[Finding]:
    # `none` joins several slices: count each point once.
    trusted = list({id(p): p for s in groups for p in s.points if p.usable}.values())
    counted = [(p, analysis.task_outcomes(p.trusted)) for p in trusted]
    counted = [(p, o) for p, o in counted if o.enqueued > 0]
    if not counted:
        return []
    losing = [(p, o) for p, o in counted if o.not_run > 0]
    if not losing:
        enqueued = sum(o.enqueued for _, o in counted)
        interval = proportion_interval(0, enqueued)
        text = (
            f"Every trusted cell ran all its background tasks: 0 of {enqueued} were not run "
            f"(95% CI {share(interval.low)} to {share(interval.high)})."
        )
        return [
            Finding(
                "not_run",
                "every trusted cell",
                text,
                (Measure("share not run", interval, as_share=True),),
                _cells(*(p for p, _ in counted)),
            )
        ]
    found = []
    for point, outcome in losing:
        interval = proportion_interval(outcome.not_run, outcome.enqueued)
        where = analysis.slice_label(point.params)
        text = (
            f"At {where}, {point.params.variant} never ran "
            f"{outcome.not_run} of {outcome.enqueued} background tasks "
            f"({share(interval.estimate)}, 95% CI {share(interval.low)} to {share(interval.high)})."
        )
        found.append(
            Finding(
                "not_run",
                where,
                text,
                (Measure(f"share not run, {point.params.variant}", interval, as_share=True),),
                point.cell_ids,
            )
        )
    return found


@dataclass(frozen=True, slots=True)
class _Kind:
    title: str
    needs: str
    compute: Callable[[Groups], list[Finding]]


KINDS: dict[str, _Kind] = {
    "lowest_p99": _Kind(
        "Which strategy keeps p99 lowest at each load",
        "two trusted strategies other than the controls (none, inline) at one workload and load",
        lowest_p99,
    ),
    "worker_limit": _Kind(
        "The worker limit past which more workers stop helping",
        "two trusted worker limits of executor, process_pool or queue at one workload and load",
        worker_limit,
    ),
    "starvation": _Kind(
        "Where sync endpoints starve (the /baseline-sync probe)",
        "a trusted `none` cell and another trusted cell at the same load, both with "
        "/baseline-sync probe requests",
        starvation,
    ),
    "blocking": _Kind(
        "What a blocking call in an async task does to everyone else",
        "trusted background_blocking and background_async cells at the same workload and load",
        blocking,
    ),
    "middleware": _Kind(
        "What the middleware mode costs",
        "trusted background and middleware_base or middleware_asgi cells at the same load",
        middleware_cost,
    ),
    "inline": _Kind(
        "What doing the work inside the request costs",
        "trusted inline and background cells at the same workload and load",
        inline_cost,
    ),
    "not_run": _Kind(
        "Background tasks that never ran",
        "a trusted cell with background tasks",
        tasks_not_run,
    ),
}


def compute(run: Run) -> Findings:
    groups = analysis.slices(analysis.points(run.cells))
    found: list[Finding] = []
    skipped: list[Skipped] = []
    for kind, spec in KINDS.items():
        results = spec.compute(groups)
        found.extend(results)
        if not results:
            reason = f"needs {spec.needs} (per-second data where compared)"
            skipped.append(Skipped(kind, spec.title, reason))
    return Findings(tuple(found), tuple(skipped))
