"""Which figures the golden run gets: every family the issue asks for, flagged cells drawn
apart, and every figure built without a warning (warnings are errors here)."""

from __future__ import annotations

import dataclasses

import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from bgbench.results.model import Run
from reports.figure_set import PlannedFigure, plan, slug
from reports.pytest_benchmark import load_benchmarks
from tests.reports.conftest import BENCHMARKS
from tests.reports.figures.lines import ys


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


def _legends(figure: Figure) -> list[Legend]:
    found = [a.get_legend() for a in figure.axes]
    return [*figure.legends, *(legend for legend in found if legend is not None)]


def _series(figure: Figure) -> dict[str, set[str]]:
    """Each labelled series (a line, or a legend entry) and the colours it is drawn in. Black
    legend entries stand for a marker or a line style, not a series."""
    colours: dict[str, set[str]] = {}
    lines = [line for axes in figure.axes for line in axes.get_lines()]
    handles = [handle for legend in _legends(figure) for handle in legend.legend_handles]
    for artist in [*lines, *handles]:
        if isinstance(artist, Line2D):
            colour = to_hex(artist.get_color())
        elif isinstance(artist, Patch):
            colour = to_hex(artist.get_facecolor())
        else:
            continue
        label = str(artist.get_label())
        if not label.startswith("_") and colour != "#000000":
            colours.setdefault(label, set()).add(colour)
    return colours


def _dot_rows(figure: Figure) -> dict[int, set[str]]:
    """A dot plot's rows (p50 to p99.9, the variant's tick) and the colours each is drawn in."""
    rows: dict[int, set[str]] = {}
    for axes in figure.axes:
        for line in axes.get_lines():
            y = ys(line)
            if len(y) == 4 and len(set(y)) == 1:
                rows.setdefault(round(y[0]), set()).add(to_hex(line.get_color()))
    return rows


def _assert_distinct(figure: Figure, name: str) -> None:
    for groups in (_series(figure), _dot_rows(figure)):
        assert all(len(c) == 1 for c in groups.values()), (name, groups)
        colours = [next(iter(c)) for c in groups.values()]
        assert len(set(colours)) == len(colours), (name, groups)


def test_no_two_series_of_a_figure_share_a_colour(planned: list[PlannedFigure]) -> None:
    for entry in planned:
        _assert_distinct(entry.draw(), entry.name)


def test_two_executor_worker_limits_in_one_slice_get_two_colours(golden_run: Run) -> None:
    # background, executor ×1 and executor ×2 at cpu 5 ms, 50 req/s: one slice.
    kept = {
        "028-background-cpu5ms-wna-r50",
        "029-executor-cpu5ms-w1-r50",
        "030-executor-cpu5ms-w2-r50",
    }
    run = dataclasses.replace(
        golden_run, cells=tuple(c for c in golden_run.cells if c.cell_id in kept)
    )
    planned = {p.name: p for p in plan(run)}
    where = "cpu-5-ms-at-50-req-s"  # nothing else varies in this run: no probe to mention
    cdf = _series(planned[f"completion-lag-cdf-{where}"].draw())
    assert set(cdf) == {"background", "executor ×1", "executor ×2"}
    assert cdf["executor ×1"] != cdf["executor ×2"]
    percentiles = _dot_rows(planned[f"latency-percentiles-{where}"].draw())
    assert len(percentiles) == 3
    for entry in planned.values():
        _assert_distinct(entry.draw(), entry.name)


def test_slug() -> None:
    assert slug("latency", "sleep 200 ms at 100 req/s") == "latency-sleep-200-ms-at-100-req-s"
