"""The results format has one home: what the writer writes, the reader reads back as the same
typed objects, for every golden cell."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from bgbench.results import writer
from bgbench.results.model import Cell
from bgbench.results.reader import load_run
from tests.reports.conftest import GOLDEN_RUN


def _without_files(cell: Cell) -> Cell:
    return replace(cell, histograms=None, timeseries=None)


def test_every_golden_cell_reads_back_as_it_was_written(tmp_path: Path) -> None:
    run = load_run(GOLDEN_RUN)
    for cell in run.cells:
        directory = tmp_path / cell.cell_id
        directory.mkdir()
        writer.write_cell(directory, cell)
        (again,) = load_run_cells(directory, cell)
        assert _without_files(again) == _without_files(cell)
        assert again.histograms == cell.histograms
        assert (again.timeseries is None) == (cell.timeseries is None)
        if cell.timeseries is not None and again.timeseries is not None:
            for name, column in cell.timeseries.columns.items():
                np.testing.assert_array_equal(again.timeseries.columns[name], column)


def load_run_cells(directory: Path, cell: Cell) -> tuple[Cell, ...]:
    """One cell directory read back through the reader, as part of a one-cell run."""
    run_dir = directory.parent / f"run-{cell.cell_id}"
    (run_dir / "cells").mkdir(parents=True)
    directory.rename(run_dir / "cells" / cell.cell_id)
    writer.write_json(
        run_dir / "manifest.json",
        {**load_run(GOLDEN_RUN).manifest, "cells": [{"cell_id": cell.cell_id}]},
    )
    return load_run(run_dir).cells
