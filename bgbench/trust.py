"""When a cell's numbers may be used: its status, its flags and each flag's reason, judged
once — by the sweep, when it writes the cell — and read by the reports and `compare`.

A harness whose numbers are wrong and unflagged is worse than none, so where a rule cannot
tell, it flags. The rules and their thresholds (docs/results-format.md says why each):

- `saturated`: the load generator's CPU above 90% of its cores, or any Locust worker's own
  CPU above 90% of its core; or fewer answers than 95% of what its schedule asked for; or the
  schedule itself fell behind the *offered* rate by more than the arrivals' own spread
  explains (Poisson: 3 standard deviations of λT; constant: 1%).
- `generator_late`: send lag (actual − intended send) p99 above max(1 ms, 10% of the
  uncorrected p50), of all requests or of any one Locust worker's: the corrected latency is
  then the generator's lateness, not the server's.
- `interference`: other processes used more than 10% of a core, on average, on the server's
  or the load generator's cores, or the hypervisor stole more than 1% of the server's core.
- `dropped`: the in-flight cap kept requests from being sent; `incomplete`: a Locust worker's
  last report never arrived. Both leave the numbers short of what was offered.
- `errors`, `unfinished`, `drain_timeout` are results, not faults of the measurement: flagged
  so a reader sees them, but the cell stays usable.
- `worker_died`: the queue strategy's worker exited before the sweep stopped it. The system
  under test broke, not the measurement: the cell's tasks stopped running, so its completion
  lag describes only those that ran. Untrusted, and `compare` calls it a breakage.
- `worker_stalled`: the queue worker was alive but finished nothing for longer than
  max(5 s, 3 task durations) while the app had tasks in flight (hung, stopped, or cut off
  from its broker). A breakage, like `worker_died`.
- `broker_lost`: tasks gone from the queue's broker: the app enqueued them, they never
  started, the worker did not start them after the app's drain, and once it stopped the
  broker no longer held them (a broker that restarted without its data; or a worker that
  dropped jobs it had taken as it stopped). Counted apart (`accounting.lost_in_broker`), not
  as the drain's not run. Untrusted and a breakage, like `worker_died`.
- `memory_growth`, `fd_growth`: the app's memory (RSS of its process tree) or open file
  descriptors grew without levelling off over a cell of 2 minutes or more (`growth`). A
  finding about the app, a leak to look for, not a fault of the measurement: the cell stays
  usable.
"""

from __future__ import annotations

import math
from dataclasses import replace

from bgbench.results.model import (
    Cell,
    ClientMetrics,
    Interference,
    LoadGen,
    Resources,
    Summary,
    Trend,
)
from bgbench.units import duration

SATURATION_CPU_PERCENT = 90.0
SCHEDULE_SHARE = 0.95  # answers against what the schedule asked for
POISSON_SIGMAS = 3.0
CONSTANT_SHORTFALL = 0.01
SEND_LAG_FLOOR_US = 1000.0
SEND_LAG_SHARE_OF_P50 = 0.10
FOREIGN_CPU_PERCENT = 10.0
STEAL_PERCENT = 1.0

# Growth without levelling off. Only judged over cells this long: in its first minute an
# app's RSS climbs while imports, caches, the allocator's per-thread arenas (one per thread
# pool thread that ran) and the ledger's retained records fill, and a short cell's halves
# cannot tell that from a leak.
GROWTH_MIN_SECONDS = 120
# The last half's slope at least this share of the first half's: not levelling off.
LEVELLING_SHARE = 0.5
RSS_GROWTH_MIB = 10.0  # end − start over the loaded seconds
RSS_SLOPE_MIB_PER_MIN = 0.5  # the last half's
FDS_GROWTH = 20.0
FDS_SLOPE_PER_MIN = 2.0

# Flags that mean the measurement, not the system under test, set the numbers: a cell with
# one is never used by a finding, and `compare` will not call a regression from it.
MEASUREMENT = ("saturated", "generator_late", "interference", "dropped", "incomplete")
# Flags that mean the system under test lost a part the cell depends on: untrusted too, but a
# breakage, not a doubt about how it was measured.
BROKEN = ("worker_died", "worker_stalled", "broker_lost")
# A live worker that finished nothing for longer than this, or than this many of its tasks'
# durations, with tasks in flight: stalled. Strictly longer: procrastinate, its LISTEN lost
# with a restarted PostgreSQL, polls every 5 s and is slow, not stalled.
STALL_MIN_S = 5.0
STALL_TASKS = 3
UNTRUSTED = MEASUREMENT + BROKEN


def offered_shortfall(client: ClientMetrics, arrival: str) -> str | None:
    """Why the schedule fell behind the offered rate, or None if it kept up within the
    spread its arrivals have by themselves."""
    expected = client.expected_requests
    if not expected:
        return None
    if arrival == "poisson":
        allowed, spread = POISSON_SIGMAS * math.sqrt(expected), "Poisson's 3σ"
    else:
        allowed, spread = CONSTANT_SHORTFALL * expected + 1, "1%"
    if client.sent >= expected - allowed:
        return None
    return (
        f"the schedule fell behind: {client.sent} requests sent of {expected:.0f} offered "
        f"({client.sent / expected:.0%}), more than {spread} ({allowed:.0f}) explains"
    )


def saturation(client: ClientMetrics, loadgen: LoadGen | None, arrival: str) -> list[str]:
    reasons = []
    cpu = loadgen.cpu_percent if loadgen is not None else None
    if loadgen is not None and cpu is not None and cpu > SATURATION_CPU_PERCENT:
        reasons.append(
            f"load generator CPU {cpu:.0f}% of its {loadgen.cores} core(s), above "
            f"{SATURATION_CPU_PERCENT:g}%"
        )
    workers = loadgen.locust_workers if loadgen is not None else ()
    reasons.extend(
        f"Locust worker {worker.id}: CPU {worker.cpu_percent:.0f}% of its core (busiest "
        f"report {worker.cpu_percent_max or 0:.0f}%), above {SATURATION_CPU_PERCENT:g}%"
        for worker in workers
        if worker.cpu_percent is not None and worker.cpu_percent > SATURATION_CPU_PERCENT
    )
    scheduled = client.scheduled_rps
    if scheduled and client.achieved_rps < SCHEDULE_SHARE * scheduled:
        reasons.append(
            f"{client.achieved_rps:g} req/s answered of {scheduled:g} scheduled "
            f"({client.achieved_rps / scheduled:.0%}, under {SCHEDULE_SHARE:.0%})"
        )
    behind = offered_shortfall(client, arrival)
    if behind:
        reasons.append(behind)
    return reasons


def _late(lag: Summary | None, p50_us: float) -> str | None:
    """Why these sends ran late, or None: their p99 within max(1 ms, 10% of the p50)."""
    if lag is None or lag.count == 0:
        return None
    bound = max(SEND_LAG_FLOOR_US, SEND_LAG_SHARE_OF_P50 * p50_us)
    if lag.p99 <= bound:
        return None
    return (
        f"send-lag p99 {duration(lag.p99)} (max {duration(lag.max)}) above "
        f"{duration(bound)} = max(1 ms, 10% of the p50 {duration(p50_us)})"
    )


def lateness(client: ClientMetrics, loadgen: LoadGen | None = None) -> str | None:
    """Why the sends ran late, all of them or one Locust worker's (named), or None."""
    p50 = client.latency.p50
    found = []
    late = _late(client.send_lag, p50)
    if late:
        found.append(
            f"sends ran late: {late}; the corrected latency is the load generator's lateness"
        )
    for worker in loadgen.locust_workers if loadgen is not None else ():
        late = _late(worker.send_lag, p50)
        if late:
            found.append(f"Locust worker {worker.id} sent late: {late}")
    return "; ".join(found) or None


def disturbance(interference: Interference | None) -> str | None:
    if interference is None:
        return None
    found = [
        f"{where} {value:.0f}% of a core used by other processes (worst second {worst:.0f}%)"
        for where, value, worst in (
            (
                "server cores:",
                interference.server_foreign_percent,
                interference.server_foreign_percent_max,
            ),
            (
                "load generator cores:",
                interference.loadgen_foreign_percent,
                interference.loadgen_foreign_percent_max,
            ),
        )
        if value > FOREIGN_CPU_PERCENT
    ]
    if interference.server_steal_percent > STEAL_PERCENT:
        found.append(f"{interference.server_steal_percent:.1f}% of the server core stolen")
    return "; ".join(found) or None


def _unlevelled(trend: Trend, min_growth: float, min_slope: float) -> bool:
    """Grew by more than min_growth, still grows faster than min_slope per minute in the last
    half, and that at LEVELLING_SHARE or more of the first half's slope (a first half that
    fell or stayed flat counts as no levelling: the growth started late)."""
    last = trend.last_half_per_min
    return (
        trend.grew > min_growth
        and last > min_slope
        and last >= LEVELLING_SHARE * trend.first_half_per_min
    )


def _grew(
    what: str, unit: str, trend: Trend, seconds: int, min_growth: float, min_slope: float
) -> str:
    return (
        f"{what} grew {trend.start:.0f} → {trend.end:.0f}{unit} over {seconds} s (max "
        f"{trend.max:.0f}{unit}), {trend.last_half_per_min:.2g}{unit}/min in the last half "
        f"against {trend.first_half_per_min:.2g}{unit}/min in the first: not levelling off "
        f"(flagged at {min_growth:g}{unit} grown, {min_slope:g}{unit}/min and "
        f"{LEVELLING_SHARE:.0%} of the first half's slope)"
    )


def growth(resources: Resources | None) -> dict[str, str]:
    """`memory_growth` and `fd_growth` with their reasons, for a cell of GROWTH_MIN_SECONDS
    or more whose server memory or open files grew without levelling off."""
    if resources is None or resources.seconds < GROWTH_MIN_SECONDS:
        return {}
    return {
        flag: _grew(what, unit, trend, resources.seconds, min_growth, min_slope)
        for flag, what, unit, trend, min_growth, min_slope in (
            (
                "memory_growth",
                "RSS",
                " MiB",
                resources.rss_mib,
                RSS_GROWTH_MIB,
                RSS_SLOPE_MIB_PER_MIN,
            ),
            (
                "fd_growth",
                "open file descriptors",
                "",
                resources.open_fds,
                FDS_GROWTH,
                FDS_SLOPE_PER_MIN,
            ),
        )
        if _unlevelled(trend, min_growth, min_slope)
    }


def worker_died(cell: Cell) -> str | None:
    """What a dead queue worker left undone, from the cell's own accounting."""
    worker = cell.server.queue_worker if cell.server else None
    if worker is None or worker.exit_code is None:
        return None
    reason = (
        f"the {worker.library} worker's main process exited with code {worker.exit_code} "
        f"{duration((worker.died_at_s or 0.0) * 1e6)} after the load began"
    )
    counts = cell.accounting
    if counts is not None:
        reason += (
            f": of {counts.enqueued} tasks enqueued, {counts.completed} completed, "
            f"{counts.failed} failed, {counts.not_run} never ran and {counts.lost} were lost"
        )
    return reason


def worker_stalled(cell: Cell) -> str | None:
    """The longest stretch of seconds in which a live queue worker finished no task while the
    app had some in flight, if longer than the stall limit."""
    worker = cell.server.queue_worker if cell.server else None
    series = cell.timeseries
    if worker is None or worker.exit_code is not None or series is None:
        return None  # no worker, or a dead one: `worker_died` says what it left
    t, backlog = series.columns["t_s"], series.columns["backlog"]
    completed = series.columns["tasks_completed"]
    limit = max(STALL_MIN_S, STALL_TASKS * cell.params.ms / 1000)
    longest, run, start = (0, 0, 0), 0, 0
    for i in range(len(t)):
        # An unmeasured second (NaN) ends a stretch: nothing says the worker was idle in it.
        if backlog[i] > 0 and completed[i] == 0:
            run, start = run + 1, start if run else i
            if run > longest[0]:
                longest = (run, start, i)
        else:
            run = 0
    seconds, first, last = longest
    if seconds <= limit:
        return None
    waiting = int(max(backlog[first : last + 1]))
    return (
        f"the {worker.library} worker was alive but finished no task for {seconds} s (from "
        f"{t[first]:g} s to {t[last] + 1:g} s of the measured phase) while up to {waiting} "
        f"tasks were in flight: hung, stopped, or cut off from its broker"
    )


def broker_lost(cell: Cell) -> str | None:
    """What the queue's broker lost of the cell's tasks, in its own counts."""
    counts, worker = cell.accounting, cell.server.queue_worker if cell.server else None
    if counts is None or worker is None or not counts.lost_in_broker:
        return None
    return (
        f"{counts.lost_in_broker} of the {counts.enqueued} tasks enqueued never started and "
        f"were gone from the {worker.broker} broker once the {worker.library} worker stopped "
        f"(it still held {worker.held_at_stop} of the cell's jobs, and the worker had started "
        f"{worker.started_after_drain or 0} after the app's drain): lost with the broker's "
        f"data, or dropped by the worker as it stopped"
    )


def _verdict(cell: Cell, failure: str | None) -> tuple[str, str | None]:
    if failure is not None:
        return "failed", failure
    if cell.client is None:
        return "failed", "the load generator left no results"
    if cell.client.requests == 0:
        return "invalid", "no request completed in the measured phase"
    if cell.accounting is not None and not cell.accounting.balanced:
        lost = cell.accounting.lost
        return "invalid", f"accounting does not balance: {lost} tasks unaccounted for"
    return "ok", None


def _flag_reasons(cell: Cell) -> dict[str, str]:
    """Each flag the cell earns, with its reason in words and numbers, in judging order."""
    reasons: dict[str, str] = {}
    client = cell.client
    if client is not None:
        saturated = saturation(client, cell.loadgen, cell.params.arrival)
        if saturated:
            reasons["saturated"] = "; ".join(saturated)
        late = lateness(client, cell.loadgen)
        if late:
            reasons["generator_late"] = late
        if client.failures:
            reasons["errors"] = f"{client.failures} of {client.requests} requests failed"
        if client.dropped:
            reasons["dropped"] = (
                f"{client.dropped} requests not sent: the in-flight cap was reached"
            )
        if client.unfinished:
            reasons["unfinished"] = (
                f"{client.unfinished} requests unanswered when the load stopped: the "
                f"percentiles are a lower bound"
            )
        if client.incomplete_workers:
            reasons["incomplete"] = (
                f"{client.incomplete_workers} Locust worker(s) never sent their last report"
            )
    disturbed = disturbance(cell.interference)
    if disturbed:
        reasons["interference"] = disturbed
    died = worker_died(cell)
    if died:
        reasons["worker_died"] = died
    stalled = worker_stalled(cell)
    if stalled:
        reasons["worker_stalled"] = stalled
    lost = broker_lost(cell)
    if lost:
        reasons["broker_lost"] = lost
    reasons.update(growth(cell.server.resources if cell.server else None))
    shutdown = (cell.server.shutdown if cell.server else None) or {}
    if not shutdown.get("drained", True):
        reasons["drain_timeout"] = "the app's drain timed out at shutdown"
    return reasons


def judged(cell: Cell, failure: str | None) -> Cell:
    """The cell with its verdict: ok, failed (something broke) or invalid (the numbers
    cannot be trusted), its reason, and its flags with theirs."""
    status, reason = _verdict(cell, failure)
    reasons = _flag_reasons(cell)
    return replace(cell, status=status, reason=reason, flags=tuple(reasons), flag_reasons=reasons)


def problems(cell: Cell) -> tuple[str, ...]:
    """Why no conclusion may be drawn from this cell, each with its reason; empty when it
    can be trusted. Read from what the sweep recorded, never judged again."""
    if cell.status != "ok":
        return (f"{cell.status}: {cell.reason or 'no reason given'}",)
    return tuple(
        f"{flag} ({cell.flag_reasons[flag]})" if flag in cell.flag_reasons else flag
        for flag in cell.flags
        if flag in UNTRUSTED
    )


def measurement_only(cell: Cell) -> bool:
    """Untrusted only for how it was measured (a busy machine, a late or saturated load
    generator), not because the system under test broke: a comparison is then inconclusive,
    not a regression."""
    broke = any(flag in BROKEN for flag in cell.flags)
    return cell.status == "ok" and bool(problems(cell)) and not broke
