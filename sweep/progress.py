"""The sweep's progress bar: which cell, how long so far, and about how long to go."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

# Start-up, Locust's start, the drain and the stop: what a cell costs beyond its load.
CELL_OVERHEAD_S = 6.0


def _clock(seconds: float) -> str:
    minutes, secs = divmod(max(0, round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


class RemainingColumn(ProgressColumn):
    """Planned time of the cells not yet run, plus what is left of the current one."""

    def render(self, task: Task) -> Text:
        fields: dict[str, Any] = task.fields
        current_left = fields["cell_estimate_s"] - (time.monotonic() - fields["cell_started"])
        remaining = fields["later_estimate_s"] + max(0.0, current_left)
        return Text(f"~{_clock(remaining)} left", style="progress.remaining")


class SweepProgress:
    def __init__(self, total_cells: int, console: Console | None = None) -> None:
        self.console = console or Console(stderr=True)
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            RemainingColumn(),
            console=self.console,
            transient=False,
        )
        self._task = self._progress.add_task(
            "starting",
            total=total_cells,
            cell_started=time.monotonic(),
            cell_estimate_s=0.0,
            later_estimate_s=0.0,
        )

    def __enter__(self) -> SweepProgress:
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def cell_started(self, cell_id: str, estimate_s: float, later_estimate_s: float) -> None:
        self._progress.update(
            self._task,
            description=cell_id,
            cell_started=time.monotonic(),
            cell_estimate_s=estimate_s,
            later_estimate_s=later_estimate_s,
        )

    def cell_finished(self, line: str) -> None:
        self._progress.console.print(line)
        self._progress.advance(self._task)


def estimate_s(duration_s: float, warmup_s: float) -> float:
    return duration_s + warmup_s + CELL_OVERHEAD_S
