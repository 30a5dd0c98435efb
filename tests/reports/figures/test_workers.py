from __future__ import annotations

from reports.figures.workers import WorkerLine, WorkerPoint, latency_vs_workers
from tests.reports.figures.lines import xs


def test_three_panels_flagged_points_not_joined() -> None:
    line = WorkerLine(
        "executor",
        "#2ca02c",
        [
            WorkerPoint(1, 1000, 3000, 36e6, flagged=False),
            WorkerPoint(2, 1000, 3000, 2e5, flagged=False),
            WorkerPoint(4, 1000, 3000, 2e5, flagged=True),
        ],
    )
    figure = latency_vs_workers("t", [line])
    panels = figure.axes
    assert [a.get_ylabel() for a in panels] == [
        "p50 response latency (ms)",
        "p99 response latency (ms)",
        "p99 completion lag (ms)",
    ]
    lag = panels[2]
    joined, flagged = lag.get_lines()
    assert xs(joined) == [1, 2]
    assert xs(flagged) == [4]
    assert flagged.get_linestyle() == "None"
    assert [t.get_text() for t in lag.get_xticklabels()] == ["1", "2", "4"]
