from __future__ import annotations

from matplotlib.colors import to_hex

from bgbench.results.model import Summary
from reports.figures.percentiles import VariantLatency, latency_percentiles
from reports.style import FLAGGED_COLOUR, strategy_colour
from tests.reports.figures.lines import xs

FAST = Summary(count=100, p50=900, p90=1600, p99=2500, p99_9=3300, max=4000, mean=1000)
SLOW = Summary(count=100, p50=2e6, p90=5e6, p99=9e6, p99_9=9.5e6, max=1e7, mean=3e6)


def test_log_axis_in_ms_controls_first_flagged_grey() -> None:
    figure = latency_percentiles(
        "t",
        [
            VariantLatency("none", "none", FAST, flagged=False),
            VariantLatency("background_blocking (flagged)", "background_blocking", SLOW, True),
        ],
    )
    (axes,) = figure.axes
    assert axes.get_xscale() == "log"
    assert axes.get_xlabel() == "response latency (ms)"
    assert [t.get_text() for t in axes.get_yticklabels()] == [
        "none",
        "background_blocking (flagged)",
    ]
    colours = {to_hex(line.get_color()) for line in axes.get_lines()}
    assert {strategy_colour("none"), FLAGGED_COLOUR} <= colours
    # The control's p99, in ms, marked across the plot.
    assert any(xs(line) == [2.5, 2.5] for line in axes.get_lines())


def test_two_worker_limits_of_one_strategy_differ() -> None:
    figure = latency_percentiles(
        "t",
        [
            VariantLatency("executor ×1", "executor", SLOW, flagged=False),
            VariantLatency("executor ×5", "executor", FAST, flagged=False),
        ],
    )
    (axes,) = figure.axes
    rows = [line for line in axes.get_lines() if len(xs(line)) == 4]  # p50 to p99.9, per row
    assert len({to_hex(line.get_color()) for line in rows}) == 2
