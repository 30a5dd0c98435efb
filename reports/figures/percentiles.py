"""Response latency percentiles per strategy, with against without background work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from bgbench.results.model import Summary
from reports.figures._dotplot import draw_row, finish, percentile_handles
from reports.style import ms, new_figure, strategy_colours


@dataclass(frozen=True, slots=True)
class VariantLatency:
    label: str
    strategy: str
    summary: Summary
    flagged: bool


def latency_percentiles(title: str, rows: Sequence[VariantLatency]) -> Figure:
    figure, (axes,) = new_figure(height=2.4 + 0.38 * len(rows))
    colours = strategy_colours([r.strategy for r in rows], [r.flagged for r in rows])
    for y, (row, colour) in enumerate(zip(rows, colours, strict=True)):
        draw_row(axes, y, row.summary, colour)
    handles = percentile_handles()
    control = next((i for i, r in enumerate(rows) if r.strategy == "none" and not r.flagged), None)
    if control is not None:
        handles.append(
            axes.axvline(
                ms(rows[control].summary.p99),
                color=colours[control],  # the control's row continued: the same series
                linestyle="--",
                linewidth=1,
                label="p99 with no background work (none)",
            )
        )
    return finish(figure, axes, title, [r.label for r in rows], [r.flagged for r in rows], handles)
