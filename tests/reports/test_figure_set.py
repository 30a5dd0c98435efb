"""Which figures the golden run gets: every family the issue asks for, flagged cells drawn
apart, and every figure built without a warning (warnings are errors here)."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure

from bgbench.results.model import Run
from reports.figure_set import PlannedFigure, plan, slug
from reports.pytest_benchmark import load_benchmarks
from tests.reports.conftest import BENCHMARKS


@pytest.fixture(scope="module")
def planned(golden_run: Run) -> list[PlannedFigure]:
    return plan(golden_run, [load_benchmarks(BENCHMARKS)], ["000-none-none-wna-r100"])


def test_every_family_is_there(planned: list[PlannedFigure]) -> None:
    names = [p.name for p in planned]
    assert len(names) == len(set(names))
    for expected in (
        "latency-percentiles-sleep-200-ms-at-100-req-s-with-a-probe",
        "corrected-latency-sleep-200-ms-at-100-req-s-with-a-probe",
        "workers-executor",
        "workers-kinds-cpu-5-ms-at-50-req-s-no-probe",
        "latency-vs-rate-sleep-200-ms",
        "completion-lag-cdf-sleep-200-ms-at-100-req-s-with-a-probe",
        "task-outcomes",
        "timeseries-000-none-none-wna-r100",  # asked for
        "timeseries-005-background-blocking-sleep200ms-wna-r100",  # flagged
        "timeseries-022-executor-sleep200ms-w2-r50",  # the worst completion lag of sleep
        "benchmarks-0001-a755c07-20250101-000000",
    ):
        assert expected in names


def test_every_figure_draws_with_labelled_axes(planned: list[PlannedFigure]) -> None:
    for entry in planned:
        figure = entry.draw()
        assert isinstance(figure, Figure)
        for axes in figure.axes:
            if axes.has_data():
                assert axes.get_xlabel() or axes.get_ylabel(), entry.name


def test_slug() -> None:
    assert slug("latency", "sleep 200 ms at 100 req/s") == "latency-sleep-200-ms-at-100-req-s"
