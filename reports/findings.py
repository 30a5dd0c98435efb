"""Findings in words, computed from a run: each with its numbers and a confidence interval.

Only trusted cells count (status ok, load generator not saturated, offered rate achieved);
the flagged ones of a slice are named in the finding as not counted. A finding whose cells
the run lacks is skipped, and the report says which and why.

Every percentile is the percentile of all the requests (tasks, event-loop looks) it covers,
from their merged histograms, and its interval comes from resampling seconds
(`reports.stats`): never a mean of per-second percentiles. A percentile is only claimed from
enough samples; the probe, a few requests a second, is compared at the highest percentile
both sides can claim. Where one finding tests several strategies at once, the discoveries
are controlled for the false discovery rate (`stats.CORRECTION`).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bgbench.results import names
from bgbench.results.model import Run
from bgbench.units import duration
from reports import analysis, capacity, estimates
from reports.analysis import Point, Slice
from reports.estimates import name as percentile_name
from reports.formatting import interval_text, plural, share, significant
from reports.stats import CORRECTION, Interval, discoveries, proportion_interval

# The most thread-pool tokens in use: the app's peak (it looks every 10 ms).
TOKENS_PEAK = "threadpool_tokens_in_use_max"
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


def _difference(before: Point, after: Point, series: str, percentile: float) -> Interval | None:
    """after − before of the percentile over all requests, or None with too few seconds or
    too few samples to claim it."""
    return estimates.change(before, after, series, percentile)


def _level(point: Point, series: str, percentile: float) -> float:
    found = estimates.level(point, series, percentile)
    assert found is not None  # callers chose points that have the series
    return found.value


def _count(point: Point, series: str) -> int:
    found = estimates.seconds(point, series)
    return 0 if found is None else found.total


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
            and estimates.comparable(p, names.RESPONSE, 99.0)
        ]
        if len(candidates) < 2:
            continue
        best, runner_up = sorted(candidates, key=lambda p: _level(p, names.RESPONSE, 99.0))[:2]
        gap = _difference(best, runner_up, names.RESPONSE, 99.0)
        assert gap is not None  # both have enough seconds and requests: checked above
        lead = (
            f"{best.params.variant} keeps p99 response latency lowest"
            if gap.significant
            else f"{best.params.variant} and {runner_up.params.variant} tie for the lowest p99"
        )
        text = (
            f"At {where}, {lead}: {duration(_level(best, names.RESPONSE, 99.0))} over "
            f"{_count(best, names.RESPONSE):,} requests; {runner_up.params.variant} is "
            f"{interval_text(gap)} slower, next of {len(candidates)} strategies."
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
                if p.usable and estimates.comparable(p, names.COMPLETION_LAG, 99.0)
            ]
            if len(limits) < 2:
                continue
            steps = []
            for before, after in itertools.pairwise(limits):
                change = _difference(before, after, names.COMPLETION_LAG, 99.0)
                assert change is not None  # every limit has enough seconds: checked above
                steps.append((before, after, change))
            knee, shown = _knee(strategy, steps)
            found.append(
                Finding(
                    "worker_limit",
                    where,
                    f"At {where}, completion-lag p99 (over all tasks): {knee}.",
                    tuple(
                        Measure(f"lag p99 {b.params.variant} − {a.params.variant}", c)
                        for a, b, c in shown
                    ),
                    _cells(*limits),
                    _not_counted(group, [strategy]),
                )
            )
    return found


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
    if peak is None:
        return "the thread pool's use was not recorded"
    if total is None:
        return f"peak {peak:g} thread-pool tokens in use"
    verdict = "ran out" if peak >= total else "did not run out"
    return f"peak {peak:g} of {total} thread-pool tokens in use: the pool {verdict}"


def _probe_words(percentile: float, *points: Point) -> str:
    counts = ", ".join(f"{_count(p, names.PROBE):,}" for p in points)
    why = "" if percentile == 99.0 else ": too few for a p99"
    return f"{percentile_name(percentile)} (of {counts} probe requests{why})"


def starvation(groups: Groups) -> list[Finding]:
    found = []
    for where, group in groups:
        control = analysis.find(group, "none")
        if control is None or not control.usable:
            continue
        others = [p for p in group if p.usable and p is not control]
        q = estimates.tail([control, *others], names.PROBE)
        if q is None:
            continue
        changes = [
            (p, c) for p in others if (c := _difference(control, p, names.PROBE, q)) is not None
        ]
        if not changes:
            continue
        found_slower = discoveries([c.p_value or 1.0 for _, c in changes])
        slower = [
            p.params.variant
            for (p, c), discovered in zip(changes, found_slower, strict=True)
            if discovered and c.estimate > 0
        ]
        worst, change = max(changes, key=lambda pc: pc[1].estimate)
        before = duration(_level(control, names.PROBE, q))
        words = _probe_words(q, control, worst)
        if worst.params.variant in slower:
            text = (
                f"At {where}, {worst.params.variant} slows the /baseline-sync probe (a "
                f"`def` endpoint: it needs a thread-pool token and the event loop): its "
                f"{words} rose by {interval_text(change)} over {before} with no background "
                f"work; {_pool_use(worst)}. Slower probes ({CORRECTION}): {', '.join(slower)}."
            )
        else:
            text = (
                f"At {where}, no strategy slowed the /baseline-sync probe significantly "
                f"({CORRECTION}): the largest change of its {words}, with "
                f"{worst.params.variant}, is {interval_text(change)} over {before} with no "
                f"background work."
            )
        found.append(
            Finding(
                "starvation",
                where,
                text,
                (Measure(f"probe {percentile_name(q)} {worst.params.variant} − none", change),),
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
        loop = _difference(async_point, blocking_point, names.EVENT_LOOP_LAG, 99.0)
        response = _difference(async_point, blocking_point, names.RESPONSE, 99.0)
        if loop is None or response is None:
            continue
        measures = [Measure("event-loop lag p99", loop), Measure("response p99", response)]
        text = (
            f"At {where}, a blocking call inside an async task (background_blocking "
            f"against background_async) changes event-loop lag p99 by {interval_text(loop)} "
            f"and every request's p99 response latency by {interval_text(response)}"
        )
        q = estimates.tail([async_point, blocking_point], names.PROBE)
        probe = None if q is None else _difference(async_point, blocking_point, names.PROBE, q)
        if q is not None and probe is not None:
            measures.append(Measure(f"/baseline-sync probe {percentile_name(q)}", probe))
            text += (
                f"; the /baseline-sync probe's {_probe_words(q, async_point, blocking_point)} "
                f"by {interval_text(probe)}"
            )
        found.append(
            Finding(
                "blocking",
                where,
                f"{text}.",
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
            p50 = _difference(reference, other, names.RESPONSE, 50.0)
            p99 = _difference(reference, other, names.RESPONSE, 99.0)
            if p50 is None or p99 is None:
                continue
            text = (
                f"At {where}, {strategy} ({describe(strategy)}) changes response "
                f"latency against {base} by {interval_text(p50)} at p50 and "
                f"{interval_text(p99)} at p99."
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


def _worker_rss_mib(point: Point) -> tuple[float, int] | None:
    """The queue worker's memory at its highest, over the point's trusted cells, and how many
    processes it was summed over."""
    read = [
        (worker.rss_mib, worker.processes or 0)
        for cell in point.trusted
        if cell.server is not None
        and (worker := cell.server.queue_worker) is not None
        and worker.rss_mib is not None
    ]
    return max(read) if read else None


def queue_memory(groups: Groups) -> list[Finding]:
    """What the published queue benchmarks report, on bgbench's cells: each queue worker's
    memory and what it finished per MiB of it."""
    found = []
    points = {id(p): (s, p) for s in groups for p in s.points if p.usable}.values()
    for where, point in ((s.label, p) for s, p in points):
        memory = _worker_rss_mib(point)
        done = capacity.completed_per_second(point)
        if memory is None or done is None:
            continue
        rss, processes = memory
        per = Interval(done.estimate * 100 / rss, done.low * 100 / rss, done.high * 100 / rss)
        summed = "1 process" if processes == 1 else f"{processes} processes"
        text = (
            f"At {where}, {point.params.variant}: its worker took up to {significant(rss)} MiB "
            f"(resident, summed over {summed}) and finished {significant(done.estimate)} "
            f"tasks/s: {significant(per.estimate)} tasks/s per 100 MiB (95% CI "
            f"{significant(per.low)} to {significant(per.high)})."
        )
        measure = Measure(f"tasks/s per 100 MiB, {point.params.variant}", per)
        found.append(Finding("queue_memory", where, text, (measure,), point.cell_ids))
    return found


def _bounded_queue(group: Sequence[Point], point: Point, theory: capacity.Theory) -> str:
    """What a bounded queue would have done instead: measured, where the slice has the same
    strategy with a queue limit; else from theory, for the executor's `queue_limit`."""
    limited = [
        p
        for p in group
        if p.usable
        and p.params.strategy == point.params.strategy
        and p.params.workers == point.params.workers
        and p.params.raw.get("queue_limit")
    ]
    if limited:
        bounded = limited[0]
        outcome = analysis.task_outcomes(bounded.trusted)
        lag = estimates.level(bounded, names.COMPLETION_LAG, 99.0)
        lag_text = f", completion lag p99 {lag.text()}" if lag else ""
        return (
            f" With a queue limit, {bounded.params.variant} answered "
            f"{share(outcome.rejected / (outcome.enqueued or 1))} of its tasks' requests 503 "
            f"instead{lag_text}."
        )
    if point.params.strategy != "executor":
        return " Nothing bounds its queue: only a queue in front of it (and 503s) would."
    limit = max(1, round(theory.per_second))  # one second of its capacity
    wait = capacity.bounded_wait_s(theory, limit, point.params.ms)
    refused = max(0.0, 1 - theory.per_second / (capacity.offered_tasks(point) or 1))
    return (
        f" A queue_limit of {limit} (one second of its capacity) would have kept completion "
        f"lag under about {duration(wait * 1e6)} and answered about {share(refused)} of "
        f"requests 503 (Retry-After) instead."
    )


def overload(groups: Groups) -> list[Finding]:
    found = []
    seen: set[int] = set()
    for where, group in groups:
        for point in group:
            if id(point) in seen or not point.usable:
                continue
            seen.add(id(point))
            offered = capacity.offered_tasks(point)
            change = capacity.growth(point)
            if change is None or not capacity.grows(change, offered):
                continue
            theory = capacity.theory(point)
            expected = ""
            if theory is not None and offered is not None:
                slots = f"{theory.why}, {point.params.ms:g} ms a task"
                expected = (
                    f" against λ − k/s = {offered:g} − {significant(theory.per_second)} = "
                    f"{significant(offered - theory.per_second)} tasks/s in theory ({slots})"
                    if offered > theory.per_second
                    else f", where in theory its {slots}, would finish "
                    f"{significant(theory.per_second)} a second and keep up: the limit is "
                    f"elsewhere (each task's overhead, the server's CPU)"
                )
            done = capacity.completed_per_second(point)
            done_text = f"; it finished {significant(done.estimate)} tasks/s" if done else ""
            lag = estimates.level(point, names.COMPLETION_LAG, 99.0)
            lag_text = (
                f"; completion lag reached {duration(lag.max)} (p99 over all tasks {lag.text()})"
                if lag
                else ""
            )
            text = (
                f"At {where}, {point.params.variant} falls behind: its backlog grew by "
                f"{significant(change.estimate)} tasks/s (95% CI {significant(change.low)} to "
                f"{significant(change.high)})"
                f"{expected}{done_text}{lag_text}."
            )
            if theory is not None:
                text += _bounded_queue(group, point, theory)
            found.append(
                Finding(
                    "overload",
                    where,
                    text,
                    (Measure(f"backlog growth {point.params.variant}, tasks/s", change),),
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
    "overload": _Kind(
        "Where the work outruns the workers: a backlog without bound",
        "a trusted cell whose backlog grew significantly while the load ran",
        overload,
    ),
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
    "queue_memory": _Kind(
        "What each queue's worker costs in memory, and finishes per MiB",
        "a trusted queue cell whose worker's memory was measured (results version 7)",
        queue_memory,
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
            reason = (
                f"needs {spec.needs}, with the seconds for an interval and the samples to claim "
                f"each percentile compared"
            )
            skipped.append(Skipped(kind, spec.title, reason))
    return Findings(tuple(found), tuple(skipped))
