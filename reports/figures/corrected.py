"""Corrected against uncorrected percentiles of open-model cells: latency from the intended
send time (what a user would see) against from the actual send (what a stalled load
generator reports); a gap between them is coordinated omission."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bgbench.results.model import Summary
from reports.figures._dotplot import draw_row, finish, percentile_handles
from reports.style import new_figure, strategy_colours

OFFSET = 0.17  # the two rows of one variant, drawn just above and below its tick


@dataclass(frozen=True, slots=True)
class CorrectedLatency:
    label: str
    strategy: str
    uncorrected: Summary
    corrected: Summary
    flagged: bool


def corrected_vs_uncorrected(title: str, rows: Sequence[CorrectedLatency]) -> Figure:
    figure, (axes,) = new_figure(height=2.6 + 0.45 * len(rows))
    colours = strategy_colours([r.strategy for r in rows], [r.flagged for r in rows])
    for y, (row, colour) in enumerate(zip(rows, colours, strict=True)):
        # One variant, two rows: the same series measured two ways, so the same colour.
        draw_row(axes, y - OFFSET, row.uncorrected, colour, filled=False)
        draw_row(axes, y + OFFSET, row.corrected, colour, filled=True)
    handles = [
        *percentile_handles(),
        Line2D(
            [],
            [],
            marker="o",
            color="black",
            markerfacecolor="white",
            linestyle="none",
            label="uncorrected (from the actual send)",
        ),
        Line2D(
            [],
            [],
            marker="o",
            color="black",
            linestyle="none",
            label="corrected (from the intended send)",
        ),
    ]
    return finish(figure, axes, title, [r.label for r in rows], [r.flagged for r in rows], handles)
