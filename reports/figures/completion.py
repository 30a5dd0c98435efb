"""What happened to the work after the response: the completion-lag CDF per strategy (from
the server's HDR histograms) and the tasks that failed, never ran or were lost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from matplotlib.figure import Figure

from bgbench.hdr import IntArray
from bgbench.results.model import FloatArray
from reports.analysis import TaskOutcomes
from reports.style import latency_axis, new_figure

OUTCOME_COLOURS = {
    "completed": "#a1d99b",
    "failed": "#fd8d3c",
    "not_run": "#d62728",
    "rejected": "#6baed6",
    "lost": "#000000",
}
OUTCOME_LABELS = {
    "completed": "completed",
    "failed": "failed (raised)",
    "not_run": "not run",
    "rejected": "rejected (queue full)",
    "lost": "lost (unaccounted for)",
}
SHORT_LABELS = {"failed": "failed", "not_run": "not run", "rejected": "rejected", "lost": "lost"}


@dataclass(frozen=True, slots=True)
class LagCurve:
    label: str
    colour: str  # a grey for a flagged curve (`style.strategy_colours`)
    values_us: FloatArray
    counts: IntArray
    flagged: bool


def completion_lag_cdf(title: str, curves: Sequence[LagCurve]) -> Figure:
    figure, (axes,) = new_figure(height=5)
    for curve in curves:
        share = np.cumsum(curve.counts) / curve.counts.sum()
        axes.step(
            curve.values_us / 1000,
            share,
            where="post",
            color=curve.colour,
            linestyle="--" if curve.flagged else "-",
            label=curve.label,
        )
    latency_axis(axes, "completion lag: enqueue to finish", axis="x")
    axes.set_ylabel("share of tasks finished within")
    axes.set_ylim(0, 1.01)
    axes.set_title(title)
    axes.legend(fontsize="small", loc="lower right")
    return figure


@dataclass(frozen=True, slots=True)
class OutcomeRow:
    label: str
    outcomes: TaskOutcomes


def task_outcomes(title: str, rows: Sequence[OutcomeRow]) -> Figure:
    """Shares of the enqueued tasks by outcome, with the counts that were not completed
    written out (a handful of lost tasks would not show as a bar)."""
    figure, (axes,) = new_figure(width=9, height=2.0 + 0.4 * len(rows))
    for y, row in enumerate(rows):
        total = max(row.outcomes.enqueued, 1)
        left = 0.0
        for name, colour in OUTCOME_COLOURS.items():
            share = getattr(row.outcomes, name) / total
            axes.barh(
                y, share, left=left, color=colour, label=OUTCOME_LABELS[name] if y == 0 else None
            )
            left += share
        missing = [
            f"{label} {getattr(row.outcomes, name)}"
            for name, label in SHORT_LABELS.items()
            if getattr(row.outcomes, name)
        ]
        axes.text(1.02, y, ", ".join(missing) or "all completed", va="center", fontsize="small")
    axes.set_yticks(range(len(rows)), [r.label for r in rows])
    axes.set_ylim(len(rows) - 0.5, -0.5)
    axes.set_xlim(0, 1.45)
    axes.set_xticks([0, 0.25, 0.5, 0.75, 1.0], ["0%", "25%", "50%", "75%", "100%"])
    axes.set_xlabel("share of enqueued background tasks")
    axes.set_title(title)
    figure.legend(fontsize="small", loc="outside lower center", ncols=len(OUTCOME_COLOURS))
    return figure
