"""`bgbench sweep`: validate the whole sweep, then run its cells one after another into a new
results directory, and say where the results are.

A cell that breaks is recorded as failed and the sweep goes on; Ctrl-C (or SIGTERM) stops
the running cell's processes, records what it had, and leaves a valid run marked
"interrupted".
"""

from __future__ import annotations

import os
from collections import defaultdict
from pathlib import Path

from bgbench.queues import Broker
from bgbench.results import names, writer
from bgbench.results.model import Cell, ManifestCell
from sweep import interrupts, machine
from sweep.cell_runner import CellRun
from sweep.definition import CellSpec, Skipped, Sweep
from sweep.progress import SweepProgress, estimate_s
from sweep.queue_workers import BrokerError, check_broker

EXIT_COMPLETE, EXIT_PARTIAL, EXIT_INTERRUPTED = 0, 1, 130


def _entry(cell_id: str, written: Cell | None) -> ManifestCell:
    """The manifest's line for a cell: what its cell.json says, once it is written (an
    interrupt that came after keeps it), else failed by the interrupt."""
    if written is None:
        return ManifestCell(cell_id, "failed", "interrupted by the user (Ctrl-C)")
    return ManifestCell(cell_id, written.status, written.reason)


def _describe(cell: Cell) -> str:
    mark = {"ok": "[green]ok[/]", "invalid": "[yellow]invalid[/]"}.get(
        cell.status, "[red]failed[/]"
    )
    parts = [f"{cell.cell_id:<48} {mark}"]
    client = cell.client
    if client:
        latency, offered = client.latency, client.offered_rps
        rate = f"{client.achieved_rps:g}" + (f"/{offered:g}" if offered else "")
        parts.append(
            f"{rate} req/s  p50 {latency.p50 / 1000:.1f} ms  p99 {latency.p99 / 1000:.1f} ms"
        )
    if cell.flags:
        parts.append("[yellow]" + ",".join(cell.flags) + "[/]")
    if cell.reason:
        parts.append(f"— {cell.reason}")
    return "  ".join(parts)


class NothingToRun(RuntimeError):
    pass


def _brokers_needed(cell: CellSpec) -> tuple[Broker, ...]:
    if cell.broker is None:
        return ()
    # Every queue's workers report their jobs' events over Redis, whatever its broker.
    return tuple(dict.fromkeys((Broker(cell.broker), Broker.REDIS)))


def runnable(sweep: Sweep) -> tuple[list[CellSpec], list[Skipped]]:
    """The cells this machine can run: a queue strategy whose broker is down is left out (and
    said to be, in one line per strategy and broker), so that the rest of the sweep still runs."""
    down: dict[Broker, str] = {}
    for broker in sorted({b for c in sweep.cells for b in _brokers_needed(c)}):
        try:
            check_broker(broker)
        except BrokerError as exc:
            down[broker] = str(exc)
    if not down:
        return sweep.cells, []
    cells, left_out = [], defaultdict(list)
    for cell in sweep.cells:
        missing = [down[b] for b in _brokers_needed(cell) if b in down]
        if missing:
            left_out[(cell.strategy, cell.broker, "; ".join(missing))].append(cell)
        else:
            cells.append(cell)
    skipped = [
        Skipped(f"{strategy} over {broker}", f"{len(group)} cells skipped: {reason}")
        for (strategy, broker, reason), group in left_out.items()
    ]
    if not cells:
        raise NothingToRun("; ".join(s.reason for s in skipped))
    return cells, skipped


def run_sweep(sweep: Sweep, out: Path) -> tuple[int, Path]:
    cells, skipped = runnable(sweep)
    pinning = machine.plan_pinning()
    if pinning.pinned:
        # The sweep and the Locust processes it starts share the load generator's cores.
        os.sched_setaffinity(0, pinning.loadgen_cpus)
    # Measured before the cells (after pinning, so the sweep's own time is on its cores):
    # a busy machine moves every number, and the run should say it was busy.
    before = machine.quietness(pinning)
    run_id, run_dir = writer.new_run_dir(out, sweep.name)
    manifest = writer.Manifest(
        run_dir,
        {
            "run_id": run_id,
            "git": machine.git(),
            "machine": machine.machine(),
            "versions": machine.versions(),
            "pinning": pinning.as_json(),
            "machine_before": before,
            "sweep": sweep.as_json(),
            "skipped": [
                {"strategy": s.what, "reason": s.reason} for s in [*sweep.skipped, *skipped]
            ],
        },
    )
    estimates = [estimate_s(c.duration_s, c.warmup_s) for c in cells]
    # The first app calibrates the cpu workload; every later cell reuses its figure.
    calibration: float | None = None
    interrupted = False
    stopped: str | None = None  # why the run ended early, when it could not write
    with interrupts.stop_signals_as_interrupt(), SweepProgress(len(cells)) as progress:
        progress.console.print(f"results: {run_dir}  ({pinning.note})")
        if before["quiet"] is False:
            progress.console.print(
                f"[yellow]the machine is not quiet[/]: {', '.join(before['reasons'])}; "
                "results may be flagged `interference`"
            )
        for skip in skipped:
            progress.console.print(f"[yellow]skipped {skip.what}[/]: {skip.reason}")
        try:
            for index, spec in enumerate(cells):
                cell_id = spec.label(index)
                progress.cell_started(cell_id, estimates[index], sum(estimates[index + 1 :]))
                cell_dir = run_dir / names.CELLS_DIR / cell_id
                run = CellRun(spec, index, cell_dir, pinning, calibration)
                try:
                    cell = run.run()
                except KeyboardInterrupt:
                    with interrupts.deferred():
                        manifest.add_cell(_entry(cell_id, run.written))
                    raise
                # Held, not lost, if it comes now: the cell is on disk, and so is its entry.
                with interrupts.deferred():
                    if calibration is None and run.cpu_iterations_per_ms:
                        calibration = run.cpu_iterations_per_ms
                        manifest.data["cpu_iterations_per_ms"] = calibration
                    manifest.add_cell(_entry(cell_id, cell))
                progress.cell_finished(_describe(cell))
        except KeyboardInterrupt:
            interrupted = True
        except OSError as error:
            # The results folder filled up or went read-only: stop, keep what is written.
            stopped = f"cannot write results in {run_dir}: {error.strerror or error}"
            progress.console.print(f"[red]stopped[/]: {stopped}")
    status = manifest.finish(interrupted, stopped)
    code = {"complete": EXIT_COMPLETE, "partial": EXIT_PARTIAL}.get(status, EXIT_INTERRUPTED)
    return code, run_dir
