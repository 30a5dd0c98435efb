"""The answer the report exists for: for each workload at each load, a row per strategy with
what it costs the user, what happens to the work, what it does to everyone else and what it
loses on a crash; a verdict in words; and "choose X when" lines derived from those rows.

Every number is one of `reports.estimates` (percentiles of merged histograms, claimed only
from enough samples) or `reports.capacity`; the words follow from the numbers by the rules
below, never written per run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from bgbench import trust
from bgbench.results import names
from bgbench.results.model import Run
from reports import analysis, capacity, estimates, guarantees
from reports.analysis import Point
from reports.capacity import Theory
from reports.estimates import Level
from reports.formatting import share, signed_duration, significant
from reports.stats import Interval, discoveries

# "Stalls everyone": the probe slowed significantly, by at least this much and this share of
# its level with no background work.
STALL_US = 1000.0
STALL_SHARE = 0.5
# "The user waits": the median response slowed by at least this share of the task's time.
WAIT_SHARE = 0.5


@dataclass(frozen=True, slots=True)
class Row:
    point: Point  # the numbers' cells: the trusted ones, or a flagged point's as measured
    trusted: bool
    p50: Level | None
    p99: Level | None
    p50_change: Interval | None  # against the `none` control
    p99_change: Interval | None
    # Discoveries: each column's changes against the control corrected together across the
    # slice's strategies (Benjamini–Hochberg), as the probe's are.
    p50_slower: bool
    p99_slower: bool
    lag_p99: Level | None
    offered: float | None  # tasks/s
    theory: Theory | None
    completed: Interval | None  # tasks finished per loaded second
    growth: Interval | None  # the backlog's slope, tasks/s
    probe_percentile: float | None
    probe_change: Interval | None  # against the `none` control
    probe_slower: bool  # a discovery, the slice's probe changes corrected together
    failed_or_not_run: tuple[int, int]  # of enqueued
    rejected: int  # of those, refused at the door with a 503 (a bounded queue was full)
    on_crash: str
    verdict: str

    @property
    def variant(self) -> str:
        return self.point.params.variant

    @property
    def grows(self) -> bool:
        return capacity.grows(self.growth, self.offered)

    @property
    def fine(self) -> bool:
        return self.trusted and self.verdict == FINE


FINE = "fine"


@dataclass(frozen=True, slots=True)
class SliceVerdict:
    where: str
    rows: tuple[Row, ...]
    choose: tuple[str, ...]


def _growth_words(row: Row) -> str:
    assert row.growth is not None
    text = f"backlog grows without bound: {significant(row.growth.estimate)} tasks/s"
    if row.theory is not None and row.offered is not None:
        expected = row.offered - row.theory.per_second
        text += f" (theory {significant(expected)})" if expected > 0 else " (theory: it keeps up)"
    return text


def _stalls(row: Row, control: Point | None) -> bool:
    change = row.probe_change
    if not row.probe_slower or change is None or control is None or row.probe_percentile is None:
        return False
    base = estimates.level(control, names.PROBE, row.probe_percentile)
    return base is not None and change.estimate >= max(STALL_US, STALL_SHARE * base.value)


def _waits(row: Row) -> bool:
    change = row.p50_change
    work_us = row.point.params.ms * 1000
    return (
        change is not None
        and row.p50_slower
        and work_us > 0
        and change.estimate >= WAIT_SHARE * work_us
    )


def _verdict(row: Row, control: Point | None) -> str:
    point = row.point
    if point.params.strategy == "none":
        return "the control: no background work" + ("" if row.trusted else _untrusted(point))
    said = []
    if row.grows:
        said.append(_growth_words(row))
    if _stalls(row, control):
        assert row.probe_change is not None
        assert row.probe_percentile is not None
        said.append(
            f"stalls everyone: the probe's {estimates.name(row.probe_percentile)} "
            f"{signed_duration(row.probe_change.estimate)}"
        )
    if _waits(row):
        assert row.p50_change is not None
        said.append(f"the user waits: {signed_duration(row.p50_change.estimate)} at p50")
    bad, enqueued = row.failed_or_not_run
    if row.rejected:
        refused = share(row.rejected / enqueued)
        said.append(f"refuses {refused} of its tasks with a 503 (its queue is full)")
    if bad > row.rejected:
        said.append(f"{bad - row.rejected:,} of {enqueued:,} tasks failed or never ran")
    words = "; ".join(said) or FINE
    if row.trusted:
        return words
    if not point.usable:  # nothing measured to show
        return "not trusted: " + "; ".join(point.problems)  # why in full: nothing else to say
    return f"as measured, {words}{_untrusted(point)}"


def _measured(point: Point) -> bool:
    """Its numbers stand, flags aside: only how it was measured is in doubt (a busy machine,
    a late load generator), and something was measured."""
    return any(c.client is not None for c in point.cells) and all(
        trust.measurement_only(c) for c in point.cells if not analysis.usable(c)
    )


def _flags(point: Point) -> str:
    """Why not trusted, in a word each (the flagged-cells table has the reasons in full)."""
    words = [
        c.status if c.status != "ok" else ", ".join(f for f in c.flags if f in trust.UNTRUSTED)
        for c in point.cells
        if not analysis.usable(c)
    ]
    return "; ".join(dict.fromkeys(w for w in words if w)) or "flagged"


def _untrusted(point: Point) -> str:
    return f" (not trusted: {_flags(point)})"


def _change(control: Point | None, point: Point, series: str, q: float) -> Interval | None:
    if control is None or point.params == control.params or not control.usable:
        return None
    return estimates.change(control, point, series, q)


def _view(point: Point) -> Point:
    """The point's cells for its numbers: the trusted ones, or where it is flagged only for
    how it was measured, what its cells measured."""
    return point if point.usable or not _measured(point) else point.as_measured()


def _row(shown: Point, control: Point | None, probe_q: float | None) -> Row:
    """The point's numbers, from its trusted cells; a point flagged only for how it was
    measured shows what its cells measured (the verdict says it is not trusted). Discoveries
    and the verdict come after, from the whole slice (`_judged`)."""
    point = _view(shown)
    outcome = analysis.task_outcomes(point.trusted)
    return Row(
        point=point,
        trusted=shown.usable,
        p50=estimates.level(point, names.RESPONSE, 50.0),
        p99=estimates.level(point, names.RESPONSE, 99.0),
        p50_change=_change(control, point, names.RESPONSE, 50.0),
        p99_change=_change(control, point, names.RESPONSE, 99.0),
        p50_slower=False,
        p99_slower=False,
        lag_p99=estimates.level(point, names.COMPLETION_LAG, 99.0),
        offered=capacity.offered_tasks(point),
        theory=capacity.theory(point),
        completed=capacity.completed_per_second(point),
        growth=capacity.growth(point),
        probe_percentile=probe_q,
        probe_change=None if probe_q is None else _change(control, point, names.PROBE, probe_q),
        probe_slower=False,
        failed_or_not_run=(outcome.failed + outcome.not_run, outcome.enqueued),
        rejected=outcome.rejected,
        on_crash=guarantees.on_crash(point.params.strategy),
        verdict="",
    )


def _slower(rows: Sequence[Row], change: Callable[[Row], Interval | None]) -> list[bool]:
    """Which rows' change against the control is a discovery, and an increase: the slice's
    comparisons of one column corrected together (Benjamini–Hochberg)."""
    tested = [(i, found) for i, row in enumerate(rows) if (found := change(row)) is not None]
    discovered = discoveries([found.p_value or 1.0 for _, found in tested])
    slower = [False] * len(rows)
    for (i, found), is_discovery in zip(tested, discovered, strict=True):
        slower[i] = is_discovery and found.estimate > 0
    return slower


def _judged(rows: Sequence[Row], control: Point | None) -> tuple[Row, ...]:
    columns = (
        _slower(rows, lambda r: r.p50_change),
        _slower(rows, lambda r: r.p99_change),
        _slower(rows, lambda r: r.probe_change),
    )
    judged = []
    for row, p50, p99, probe in zip(rows, *columns, strict=True):
        found = replace(row, p50_slower=p50, p99_slower=p99, probe_slower=probe)
        judged.append(replace(found, verdict=_verdict(found, control)))
    return tuple(judged)


def _ordered(points: Sequence[Point]) -> list[Point]:
    return sorted(points, key=lambda p: (p.params.strategy != "none", min(p.cell_ids)))


# --- "choose X when" ---------------------------------------------------------------------


def _p99_text(row: Row) -> str:
    return "?" if row.p99 is None else row.p99.text()


def _best(where: str, rows: Sequence[Row]) -> list[str]:
    candidates = [
        r
        for r in rows
        if r.fine and r.point.params.strategy not in analysis.CONTROLS and r.p99 and r.p99.claimed
    ]
    if not candidates:
        untrusted = sum(not r.trusted for r in rows if r.point.params.strategy != "none")
        if untrusted == len(rows) - (rows[0].point.params.strategy == "none"):
            return [
                f"At {where}, no cell can be trusted: re-run on a quiet machine (the rows show "
                f"what was measured, and why it is not trusted)."
            ]
        also = f" ({untrusted} not trusted: re-run them on a quiet machine)" if untrusted else ""
        return [f"At {where}, no trusted strategy was fine{also}: see the verdicts."]
    best = min(candidates, key=lambda r: r.p99.value if r.p99 else 0)
    tied = [
        r.variant
        for r in candidates
        if r is not best
        and (c := estimates.change(best.point, r.point, names.RESPONSE, 99.0)) is not None
        and not c.significant
    ]
    lag = f", completion lag p99 {best.lag_p99.text()}" if best.lag_p99 else ""
    line = (
        f"At {where}, choose {best.variant}: the lowest response p99 of the fine strategies "
        f"({_p99_text(best)}{lag})"
    )
    if tied:
        line += f"; {', '.join(tied)} not significantly different at p99"
    lines = [line + "."]
    kept = [r for r in candidates if guarantees.survives_crash(r.point.params.strategy)]
    if kept and not guarantees.survives_crash(best.point.params.strategy):
        safe = min(kept, key=lambda r: r.p99.value if r.p99 else 0)
        cost = estimates.change(best.point, safe.point, names.RESPONSE, 99.0)
        price = f": {signed_duration(cost.estimate)} at p99 against {best.variant}" if cost else ""
        lines.append(
            f"Choose {safe.variant} when the work must survive a crash of the app: it "
            f"{safe.on_crash}{price}."
        )
    return lines


def _warnings(rows: Sequence[Row]) -> list[str]:
    lines = []
    for row in rows:
        if not row.trusted:
            continue  # no advice from numbers that cannot be trusted
        params = row.point.params
        if row.grows and row.offered is not None:
            done = f"{significant(row.completed.estimate)}" if row.completed else "fewer"
            busy = row.offered * params.ms / 1000
            if row.theory is not None and row.theory.per_second > row.offered:
                # Its slots could keep up, in theory: the limit is elsewhere.
                fix = (
                    f"its {row.theory.why} could finish {significant(row.theory.per_second)}/s, "
                    f"so the limit is elsewhere (each task's overhead, the server's CPU): more "
                    f"workers will not help, a bounded queue would refuse the excess"
                )
            elif params.strategy in analysis.WORKER_STRATEGIES:
                fix = (
                    f"it needs more than {significant(busy)} workers busy at once (λ × task "
                    f"time), or a queue_limit to answer the excess 503"
                )
            else:
                fix = "move the work to a bounded pool or a queue"
            lines.append(
                f"{row.variant} cannot keep up at {params.load} of {params.work}: it finished "
                f"{done} tasks/s of {row.offered:g} offered; {fix}."
            )
        if "stalls everyone" in row.verdict:
            lines.append(
                f"Avoid {row.variant} at {params.load} of {params.work}: it slows every other "
                f"request of the app (the /baseline-sync probe)."
            )
        if "the user waits" in row.verdict:
            lines.append(
                f"{row.variant} makes the user wait for the work: use it only when the response "
                f"needs the work's result."
            )
    return lines


def compute(run: Run) -> tuple[SliceVerdict, ...]:
    verdicts = []
    for where, group in analysis.slices(analysis.points(run.cells)):
        found = analysis.find(group, "none")
        # A control flagged for how it was measured still gives the deltas, as measured: every
        # row then says its comparison is against a control that is not trusted.
        control = None if found is None else _view(found)
        points = _ordered(group)
        others = [_view(p) for p in points if p is not found]
        compared = [p for p in others if p.usable]
        probe_q = (
            estimates.tail([control, *compared], names.PROBE)
            if control is not None and control.usable
            else None
        )
        rows = _judged([_row(p, control, probe_q) for p in points], control)
        if len(rows) < 2 and found is not None:
            continue  # a control alone: nothing to decide
        if found is not None and not found.usable:
            rows = tuple(_against_untrusted(r) for r in rows)
        verdicts.append(SliceVerdict(where, rows, (*_best(where, rows), *_warnings(rows))))
    return tuple(verdicts)


def _against_untrusted(row: Row) -> Row:
    if not row.trusted or row.point.params.strategy == "none":
        return row
    return replace(row, verdict=f"{row.verdict} (against a `none` control that is not trusted)")


def percentile_cell(level: Level | None, change: Interval | None, slower: bool) -> str:
    """`2.3 ms (+1.1 ms)`: the level, and its change against the control where measured;
    *n.s.* unless the change is a discovery (a significant drop says so by its sign)."""
    if level is None:
        return ""
    text = level.text()
    if change is not None and level.claimed:
        found = slower or (change.significant and change.estimate < 0)
        text += f" ({signed_duration(change.estimate)}{'' if found else ', n.s.'})"
    return text


def capacity_cell(row: Row) -> str:
    """Measured tasks/s where the backlog grew (that is the capacity), else "kept up"; and
    k/s from theory where it applies."""
    theory = (
        f"; theory {significant(row.theory.per_second)}/s ({row.theory.why})" if row.theory else ""
    )
    if row.grows and row.completed is not None:
        return f"{significant(row.completed.estimate)}/s{theory}"
    # Only a trusted cell shows it kept up: a flagged one may not have been sent the load.
    if not row.trusted or row.offered is None or row.point.params.strategy in analysis.CONTROLS:
        return theory.removeprefix("; ")
    return f"kept up with {row.offered:g}/s{theory}"


def growth_cell(row: Row) -> str:
    if row.growth is None or row.point.params.strategy in analysis.CONTROLS:
        return ""
    growth = round(row.growth.estimate, 2)  # a hundredth of a task a second is nothing
    text = f"{'+' if growth >= 0 else ''}{significant(growth)}/s"
    limit = row.point.params.raw.get("queue_limit")
    if limit:
        text += f" (theory 0: the queue is bounded at {limit})"
    elif row.theory is not None and row.offered is not None:
        text += f" (theory {significant(max(row.offered - row.theory.per_second, 0))})"
    return text


def probe_cell(row: Row) -> str:
    if row.probe_change is None or row.probe_percentile is None:
        return ""
    mark = "" if row.probe_slower else (" n.s." if not row.probe_change.significant else "")
    return (
        f"{estimates.name(row.probe_percentile)} {signed_duration(row.probe_change.estimate)}{mark}"
    )


def lag_cell(row: Row) -> str:
    return "" if row.lag_p99 is None else row.lag_p99.text()


TABLE_HEADER = (
    "strategy",
    "response p50 (vs none)",
    "response p99 (vs none)",
    "completion lag p99",
    "capacity, tasks/s",
    "backlog growth, tasks/s",
    "on a crash",
    "others (the probe, vs none)",
    "verdict",
)


def table_row(row: Row) -> tuple[str, ...]:
    return (
        row.variant,
        percentile_cell(row.p50, row.p50_change, row.p50_slower),
        percentile_cell(row.p99, row.p99_change, row.p99_slower),
        lag_cell(row),
        capacity_cell(row),
        growth_cell(row),
        row.on_crash,
        probe_cell(row),
        row.verdict,
    )
