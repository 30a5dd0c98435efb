"""The server's memory and open files: a line per cell, growth dashed and named, gaps kept,
and a report planning the figure only for cells that recorded them."""

from __future__ import annotations

import dataclasses

import numpy as np
from matplotlib.colors import to_hex

from bgbench.results.model import Cell, Run, TimeSeries
from reports.figure_set import MAX_RESOURCE_LINES, plan
from reports.figures.resources import ResourceLine, server_resources
from tests.reports.figures.lines import xs, ys


def _series(seconds: int, rss: float = 100.0, per_s: float = 0.0) -> TimeSeries:
    t = np.arange(seconds, dtype=np.float64)
    return TimeSeries(
        {
            "t_s": t,
            "offered_rps": np.full(seconds, 200.0),
            "server_rss_mib": rss + per_s * t,
            "server_open_fds": np.full(seconds, 40.0),
        }
    )


def test_a_line_per_cell_and_growth_dashed_in_its_panel_only() -> None:
    lines = [
        ResourceLine("steady", "#1f77b4", _series(5), ()),
        ResourceLine("leaking", "#ff7f0e", _series(5, per_s=1.0), ("memory_growth",)),
    ]
    rss, fds = server_resources("soak", lines).axes
    assert rss.get_ylabel() == "RSS of the server's processes (MiB)"
    assert [line.get_label() for line in rss.get_lines()] == [
        "steady",
        "leaking (grows: memory_growth)",
    ]
    assert [line.get_linestyle() for line in rss.get_lines()] == ["-", "--"]
    assert [line.get_linestyle() for line in fds.get_lines()] == ["-", "-"]
    assert ys(rss.get_lines()[1]) == [100, 101, 102, 103, 104]
    assert [to_hex(line.get_color()) for line in fds.get_lines()] == ["#1f77b4", "#ff7f0e"]
    assert fds.get_xlabel() == "second of the measured phase (s)"


def test_a_missing_second_is_a_gap_and_unmeasured_says_so() -> None:
    series = TimeSeries(
        {
            "t_s": np.array([0.0, 1, 3]),
            "server_rss_mib": np.array([100.0, 101, 103]),
            "server_open_fds": np.full(3, np.nan),
        }
    )
    rss, fds = server_resources("cell", [ResourceLine("a", "#000000", series, ())]).axes
    assert xs(rss.get_lines()[0]) == [0, 1, 2, 3]
    assert np.isnan(ys(rss.get_lines()[0])[2])
    assert fds.texts[0].get_text() == "not measured"


def _with_resources(cell: Cell, seconds: int, flags: tuple[str, ...] = ()) -> Cell:
    return dataclasses.replace(cell, timeseries=_series(seconds), flags=(*cell.flags, *flags))


def test_planned_for_cells_that_recorded_them_growth_and_longest_first(golden_run: Run) -> None:
    assert "server-resources" not in [p.name for p in plan(golden_run)]  # none recorded
    cells = list(golden_run.cells)
    trusted = [i for i, c in enumerate(cells) if c.status == "ok"]
    # More cells than lines: the one that grew, short as it is, and the longest are drawn.
    for rank, i in enumerate(trusted[: MAX_RESOURCE_LINES + 3]):
        cells[i] = _with_resources(cells[i], 10 + rank)
    grew = trusted[0]
    cells[grew] = _with_resources(cells[grew], 3, ("memory_growth",))
    planned = {p.name: p for p in plan(dataclasses.replace(golden_run, cells=tuple(cells)))}
    rss = planned["server-resources"].draw().axes[0]
    labels = [str(line.get_label()) for line in rss.get_lines()]
    assert len(labels) == MAX_RESOURCE_LINES
    assert labels[0] == f"{cells[grew].cell_id} (grows: memory_growth)"
    # Ranks 1 to 10 recorded 11 to 20 s; beside the one that grew, the 7 longest: 4 to 10.
    shortest_kept = MAX_RESOURCE_LINES + 3 - (MAX_RESOURCE_LINES - 1)
    assert cells[trusted[shortest_kept]].cell_id in labels
    assert cells[trusted[shortest_kept - 1]].cell_id not in labels
