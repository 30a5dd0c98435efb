"""Response latency percentiles per strategy, with against without background work."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from matplotlib.figure import Figure

from bgbench.results.model import Summary
from reports.figures._dotplot import draw_row, finish, percentile_handles
from reports.style import FLAGGED_COLOUR, ms, new_figure, strategy_colour


@dataclass(frozen=True, slots=True)
class VariantLatency:
    label: str
    strategy: str
    summary: Summary
    flagged: bool


def colour_of(strategy: str, flagged: bool) -> str:
    return FLAGGED_COLOUR if flagged else strategy_colour(strategy)


def latency_percentiles(title: str, rows: Sequence[VariantLatency]) -> Figure:
    figure, (axes,) = new_figure(height=2.4 + 0.38 * len(rows))
    for y, row in enumerate(rows):
        draw_row(axes, y, row.summary, colour_of(row.strategy, row.flagged))
    handles = percentile_handles()
    control = next((r for r in rows if r.strategy == "none" and not r.flagged), None)
    if control is not None:
        handles.append(
            axes.axvline(
                ms(control.summary.p99),
                color=colour_of("none", False),
                linestyle="--",
                linewidth=1,
                label="p99 with no background work (none)",
            )
        )
    return finish(figure, axes, title, [r.label for r in rows], [r.flagged for r in rows], handles)
