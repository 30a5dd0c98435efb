from __future__ import annotations

import numpy as np
from matplotlib.colors import to_hex

from bgbench.results.model import TimeSeries
from reports.figures.timeseries import PANELS, cell_timeseries
from tests.reports.figures.lines import xs, ys


def test_panels_and_columns_never_measured() -> None:
    seconds = np.arange(5, dtype=np.float64)
    series = TimeSeries(
        {
            "t_s": seconds,
            "offered_rps": np.full(5, 100.0),
            "achieved_rps": np.full(5, 99.0),
            "p99_us": np.array([2000.0, 2100, np.nan, 2000, 2200]),
            "completion_lag_p99_us": np.full(5, np.nan),
        }
    )
    rate, latency, tasks, lag = cell_timeseries("cell", series).axes
    assert rate.get_ylabel() == "rate (requests/s)"
    assert [line.get_label() for line in latency.get_lines()] == ["p99"]
    assert np.isnan(ys(latency.get_lines()[0])[2])  # a gap, not bridged
    assert latency.get_yscale() == "log"
    assert lag.texts[0].get_text() == "not measured"
    assert tasks.texts[0].get_text() == "not measured"
    assert lag.get_xlabel() == "second of the measured phase (s)"


def test_a_missing_second_breaks_the_line_and_the_drain_is_shaded() -> None:
    series = TimeSeries(
        {
            "t_s": np.array([0.0, 1, 3]),
            "offered_rps": np.array([20.0, 20, 0]),
            "achieved_rps": np.array([20.0, 20, 0]),
        }
    )
    rate = cell_timeseries("cell", series).axes[0]
    offered = rate.get_lines()[0]
    assert xs(offered) == [0, 1, 2, 3]
    assert np.isnan(ys(offered)[2])
    assert [p.get_label() for p in rate.patches] == ["drain"]


def test_every_column_its_own_colour() -> None:
    seconds = np.arange(3, dtype=np.float64)
    names = [name for columns, _, _ in PANELS for name, _, _ in columns]
    figure = cell_timeseries("cell", TimeSeries({"t_s": seconds, **{n: seconds for n in names}}))
    colours = [to_hex(line.get_color()) for axes in figure.axes for line in axes.get_lines()]
    assert len(colours) == len(names)
    assert len(set(colours)) == len(colours)
