"""The report's content, independent of its format: the HTML and the Markdown renderers both
write this one document, so they cannot drift apart."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bgbench.queues import GUARANTEES_HEADER, Broker, guarantee_cells, guarantee_rows
from bgbench.queues import facts as queue_facts
from bgbench.results import names
from bgbench.results.model import Cell, Run, Summary
from bgbench.units import duration
from reports import analysis, estimates, verdict
from reports.findings import Findings
from reports.formatting import share
from reports.stats import CORRECTION, POWER, claimable, detectable, quantile_interval

FAULTS_NOTE = (
    "Measured by the project's fault tests (tests/target_app/test_queue_faults.py), with the "
    "settings this run used, not by this run: one task running on a worker of one slot, three "
    "queued behind it (none for the kill), one sent after the fault. This run's own losses are "
    "in its cells' accounting and flags (`worker_died`, `worker_stalled`, `broker_lost`)."
)


@dataclass(frozen=True, slots=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class RenderedFigure:
    name: str
    title: str
    caption: str
    png: Path
    svg: Path


@dataclass(frozen=True, slots=True)
class VerdictSection:
    """One workload at one load: the strategies' table and the choices it leads to."""

    where: str
    table: Table
    choose: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Document:
    title: str
    about: Table
    notices: tuple[str, ...]
    verdicts: tuple[VerdictSection, ...]
    findings: Findings
    # What a killed or stopped worker and a restarted broker cost the run's queues, as the
    # project's fault tests measured it (not this run): None when the run has no queue cell.
    faults: Table | None
    figures: tuple[RenderedFigure, ...]
    flagged: Table
    cells: Table


def _about(run: Run) -> Table:
    manifest = run.manifest
    git = manifest.get("git") or {}
    machine = manifest.get("machine") or {}
    versions = manifest.get("versions") or {}
    pinning = manifest.get("pinning") or {}
    sweep = manifest.get("sweep") or {}
    statuses = [c.status for c in run.cells]
    memory = machine.get("memory_bytes")
    rows = [
        ("run", run.run_id),
        ("status", run.status),
        ("started / finished (UTC)", f"{run.started_at} / {run.finished_at or 'not finished'}"),
        ("sweep", str(sweep.get("source") or sweep.get("name") or "?")),
        (
            "git",
            f"{git.get('commit') or '?'} on {git.get('branch') or '?'}"
            + (" (uncommitted changes)" if git.get("dirty") else ""),
        ),
        (
            "machine",
            f"{machine.get('cpu_model', '?')}, {machine.get('cores', '?')} cores, "
            + (f"{memory / 2**30:.1f} GiB, " if isinstance(memory, int) else "")
            + f"{machine.get('os', '?')} {machine.get('kernel', '')}".strip(),
        ),
        ("versions", ", ".join(f"{k} {v}" for k, v in versions.items())),
        ("CPU pinning", str(pinning.get("note") or pinning.get("pinned", "?"))),
        (
            "cells",
            f"{len(run.cells)} read ({statuses.count('ok')} ok, {statuses.count('failed')} "
            f"failed, {statuses.count('invalid')} invalid), {len(run.missing)} missing",
        ),
    ]
    return Table(("", ""), tuple(rows))


def _notices(run: Run, flagged: int) -> tuple[str, ...]:
    notices = []
    if run.status != "complete":
        notices.append(
            f"This run is {run.status}: some cells failed, were invalid or never ran; the "
            f"report covers what it has."
        )
    before = run.manifest.get("machine_before") or {}
    if before.get("quiet") is False:
        notices.append(
            "The machine was not quiet when the run started ("
            + "; ".join(before.get("reasons") or ["no reason recorded"])
            + "): cells where other work competed with it are flagged `interference`."
        )
    notices.extend(f"Cell {m.cell_id} is missing: {m.why}." for m in run.missing)
    notices.extend(
        f"Left out of the sweep before it started: {part.get('strategy', '?')} "
        f"({part.get('reason', '')})."
        for part in run.skipped
    )
    if flagged:
        notices.append(
            f"Flagged cells: {flagged} (failed, invalid, a saturated or late load generator, or "
            f"a busy machine; see the table at the end). "
            f"Figures draw them in grey or with an X, and no finding uses them."
        )
    return tuple(notices)


def _ms(summary: Summary | None, name: str = "p99") -> str:
    """The percentile, or where too few samples lie above it to claim it, the largest and
    how many there were."""
    if summary is None:
        return ""
    percentile = 99.0 if name == "p99" else 50.0
    if not claimable(summary.count, percentile):
        return f"max {duration(summary.max)} of {summary.count:,}"
    return duration(summary.percentile(name))


def _cell_row(cell: Cell) -> tuple[str, ...]:
    client = cell.client
    lag = analysis.completion_lag_summary([cell]) if cell.server else None
    return (
        cell.cell_id,
        cell.params.variant,
        cell.params.work,
        cell.params.load,
        cell.status,
        ", ".join(cell.flags),
        f"{client.achieved_rps:g}" if client else "",
        _ms(client.latency, "p50") if client else "",
        _ms(client.latency) if client else "",
        _ms(client.latency_corrected) if client else "",
        _ms(client.send_lag) if client else "",
        duration(cell.harness.p50_us) if cell.harness else "",
        _ms(lag),
        _ms(client.probe.latency if client and client.probe else None),
    )


def _resolution(run: Run) -> tuple[str, str] | None:
    """What this run can resolve: the smallest difference in p99 (and p50) between two of its
    cells that a comparison would find 80% of the time at the 5% level, from the cells' own
    noise (median over the trusted points with enough requests)."""
    spreads: dict[float, list[float]] = {50.0: [], 99.0: []}
    flagged = 0
    for point in analysis.points(run.cells):
        # Flagged cells too, as measured: their spread is this machine's noise as well.
        found = estimates.seconds(point.as_measured(), names.RESPONSE)
        if found is None or found.seconds < 3:
            continue
        flagged += not point.usable
        for percentile, into in spreads.items():
            interval = quantile_interval(found, percentile)
            if claimable(found.total, percentile) and interval.spread and interval.estimate:
                into.append(interval.spread / interval.estimate)
    if not spreads[99.0]:
        return None
    # Two cells, each with this relative standard error: the difference's is √2 times it.
    effects = {q: detectable(2**0.5 * statistics.median(v)) for q, v in spreads.items() if v}
    text = ", ".join(f"p{q:g} {share(d)}" for q, d in sorted(effects.items(), reverse=True))
    return (
        "resolution",
        f"two cells differing by less than {text} are not told apart here (minimum "
        f"detectable effect, median over {len(spreads[99.0])} cells, {flagged} of them "
        f"flagged, as measured; {POWER:.0%} power at the 5% level). A percentile is claimed "
        f"from 10 / (1 − q) samples at least; comparisons of several strategies at once use "
        f"{CORRECTION}.",
    )


def _faults(run: Run) -> Table | None:
    over = {
        (q.name, Broker(c.params.broker))
        for c in run.cells
        if (q := queue_facts(c.params.strategy)) is not None and c.params.broker is not None
    }
    if not over:
        return None
    rows = tuple(guarantee_cells(*row) for row in guarantee_rows(over))
    return Table(GUARANTEES_HEADER, rows)


def _verdicts(run: Run) -> tuple[VerdictSection, ...]:
    return tuple(
        VerdictSection(
            found.where,
            Table(verdict.TABLE_HEADER, tuple(verdict.table_row(r) for r in found.rows)),
            found.choose,
        )
        for found in verdict.compute(run)
    )


def build_document(run: Run, findings: Findings, figures: Sequence[RenderedFigure]) -> Document:
    varying = analysis.varying_conditions(analysis.points(run.cells))
    flagged = tuple(
        (
            c.cell_id,
            c.params.variant,
            analysis.slice_label(c.params, varying),
            "; ".join(analysis.problems(c)),
        )
        for c in run.cells
        if not analysis.usable(c)
    )
    cells = Table(
        (
            "cell",
            "strategy",
            "work",
            "load",
            "status",
            "flags",
            "achieved req/s",
            "p50",
            "p99",
            "p99 corrected",
            "send lag p99",
            "client − server p50",
            "lag p99",
            "probe p99",
        ),
        tuple(_cell_row(c) for c in run.cells),
    )
    about = _about(run)
    resolution = _resolution(run)
    if resolution is not None:
        about = Table(about.header, (*about.rows, resolution))
    return Document(
        title=f"bgbench report: {run.run_id}",
        about=about,
        notices=_notices(run, len(flagged)),
        verdicts=_verdicts(run),
        findings=findings,
        faults=_faults(run),
        figures=tuple(figures),
        flagged=Table(("cell", "strategy", "work and load", "why not trusted"), flagged),
        cells=cells,
    )
