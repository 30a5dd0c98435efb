"""The report's content, independent of its format: the HTML and the Markdown renderers both
write this one document, so they cannot drift apart."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bgbench.results.model import Cell, Run, Summary
from bgbench.units import duration
from reports import analysis
from reports.findings import Findings


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
class Document:
    title: str
    about: Table
    notices: tuple[str, ...]
    findings: Findings
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
    return "" if summary is None else duration(summary.percentile(name))


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
    return Document(
        title=f"bgbench report: {run.run_id}",
        about=_about(run),
        notices=_notices(run, len(flagged)),
        findings=findings,
        figures=tuple(figures),
        flagged=Table(("cell", "strategy", "work and load", "why not trusted"), flagged),
        cells=cells,
    )
