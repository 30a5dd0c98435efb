from __future__ import annotations

from bgbench.results.model import Summary
from reports.figures.corrected import CorrectedLatency, corrected_vs_uncorrected
from tests.reports.figures.lines import xs

ACTUAL = Summary(count=100, p50=900, p90=1600, p99=2500, p99_9=3300, max=4000, mean=1000)
INTENDED = Summary(count=100, p50=950, p90=2000, p99=7500, p99_9=9900, max=12000, mean=1500)


def test_hollow_uncorrected_filled_corrected() -> None:
    figure = corrected_vs_uncorrected(
        "t", [CorrectedLatency("background", "background", ACTUAL, INTENDED, False)]
    )
    (axes,) = figure.axes
    markers = [line for line in axes.get_lines() if line.get_marker() == "^"]  # the p99s
    by_fill = {line.get_markerfacecolor() == "white": xs(line)[0] for line in markers}
    assert by_fill == {True: 2.5, False: 7.5}
    labels = [t.get_text() for t in figure.legends[0].get_texts()]
    assert "corrected (from the intended send)" in labels
