from __future__ import annotations

import numpy as np

from reports.analysis import TaskOutcomes
from reports.figures.completion import LagCurve, OutcomeRow, completion_lag_cdf, task_outcomes
from tests.reports.figures.lines import xs, ys


def test_cdf_reaches_one() -> None:
    curve = LagCurve(
        "background", "#1f77b4", np.array([1000.0, 2000, 4000]), np.array([1, 2, 1]), False
    )
    (axes,) = completion_lag_cdf("t", [curve]).axes
    (line,) = axes.get_lines()
    assert ys(line) == [0.25, 0.75, 1.0]
    assert xs(line) == [1.0, 2.0, 4.0]  # ms
    assert axes.get_xscale() == "log"


def test_outcomes_write_out_what_did_not_complete() -> None:
    rows = [
        OutcomeRow("failing", TaskOutcomes(3000, 1000, 1000, 1000, 0, 0)),
        OutcomeRow("queue", TaskOutcomes(500, 497, 0, 0, 0, 3)),
        OutcomeRow("background", TaskOutcomes(1000, 1000, 0, 0, 0, 0)),
    ]
    (axes,) = task_outcomes("t", rows).axes
    assert [t.get_text() for t in axes.texts] == [
        "failed 1000, not run 1000",
        "lost 3",
        "all completed",
    ]
