"""What can be trusted, how cells group, and the numbers drawn from histograms."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from bgbench import hdr
from bgbench.results.model import Cell, Run
from bgbench.results.reader import load_run
from reports import analysis
from tests.reports.conftest import GOLDEN_RUN, PROBE_CELL, rename_probe


def _cell(run: Run, cell_id: str) -> Cell:
    return next(c for c in run.cells if c.cell_id == cell_id)


@pytest.mark.parametrize(
    ("cell_id", "expected"),
    [
        ("000-none-none-wna-r100", ()),
        ("009-failing-sleep200ms-wna-r100", ()),  # `errors` does not invalidate a cell
        (
            "016-inline-sleep200ms-wna-r250",
            (
                "saturated (227.5 req/s answered of 250 scheduled (91%, under 95%); the "
                "schedule fell behind: 4550 requests sent of 5000 offered (91%), more than 1% "
                "(51) explains)",
            ),
        ),
        (
            "019-none-none-wna-r3000",
            (
                "saturated (load generator CPU 97% of its 1 core(s), above 90%; the schedule "
                "fell behind: 57600 requests sent of 60000 offered (96%), more than 1% (601) "
                "explains)",
            ),
        ),
        (
            "037-queue-cpu5ms-w4-r50",
            ("invalid: accounting does not balance: 3 tasks unaccounted for",),
        ),
    ],
)
def test_problems(golden_run: Run, cell_id: str, expected: tuple[str, ...]) -> None:
    assert analysis.problems(_cell(golden_run, cell_id)) == expected


def test_repeats_group_into_one_point(golden_run: Run) -> None:
    points = analysis.points(golden_run.cells)
    background = [p for p in points if p.cell_ids[0] == "002-background-sleep200ms-wna-r100"]
    assert background[0].cell_ids == (
        "002-background-sleep200ms-wna-r100",
        "003-background-sleep200ms-wna-r100-x2",
    )
    assert len(points) == 41  # 42 cells, one point with 2 repeats


def test_slices_keep_different_work_apart_and_share_the_control(golden_run: Run) -> None:
    slices = {s.label: s.points for s in analysis.slices(analysis.points(golden_run.cells))}
    assert list(slices) == [
        "sleep 200 ms at 100 req/s, with a probe",
        "sleep 5 ms at 100 req/s, with a probe",  # its control is cell 000
        "sleep 200 ms at 50 req/s, with a probe",
        "sleep 200 ms at 250 req/s, with a probe",
        "no background work at 3000 req/s, with a probe",
        "sleep 200 ms at 50 req/s, no probe",
        "cpu 5 ms at 50 req/s, no probe",
        "upload 20 ms at 50 req/s, no probe",
        "sleep 200 ms at 10 users, no probe",
        "sleep 200 ms at 200 req/s, with a probe",
    ]
    none_100 = slices["sleep 200 ms at 100 req/s, with a probe"][0]
    assert none_100.params.strategy == "none"
    # The same `none` cell is the control of both sleep slices at 100 req/s.
    assert slices["sleep 5 ms at 100 req/s, with a probe"][0] is none_100
    assert [p.params.variant for p in slices["sleep 5 ms at 100 req/s, with a probe"]] == [
        "none",
        "background_async",
        "background_blocking",
    ]


def test_per_second_pools_repeats(golden_run: Run) -> None:
    point = next(p for p in analysis.points(golden_run.cells) if len(p.cells) == 2)
    pooled = analysis.per_second(point.trusted, "p99_us")
    assert pooled.size == 40
    assert pooled.mean() == pytest.approx((4000 + 4200) / 2)


def test_summaries_from_counts_match_the_stored_ones(golden_run: Run) -> None:
    for cell in golden_run.cells:
        if cell.client is None:
            continue
        merged = analysis.latency_summary([cell])
        assert merged is not None
        for name in hdr.PERCENTILES:
            assert merged.percentile(name) == cell.client.latency.percentile(name)
        assert merged.max == cell.client.latency.max


def test_probe_is_kept_apart_from_the_load(golden_run: Run) -> None:
    cell = _cell(golden_run, "017-background-sleep200ms-wna-r250")
    probe = analysis.latency_summary([cell], probe=True)
    assert cell.client is not None
    assert cell.client.probe is not None
    assert probe is not None
    assert probe.p99 == cell.client.probe.latency.p99
    load = analysis.latency_summary([cell])
    assert load is not None
    assert load.count == cell.client.requests  # the probe's requests are not among them


def test_the_probe_is_told_apart_by_the_name_the_results_give(tmp_path: Path) -> None:
    run_dir = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "run"))
    rename_probe(run_dir / "cells" / PROBE_CELL, "probe/sync-check")
    cell = _cell(load_run(run_dir), PROBE_CELL)
    assert cell.client is not None
    assert cell.client.probe is not None
    probe = analysis.latency_summary([cell], probe=True)
    assert probe is not None
    assert probe.p99 == cell.client.probe.latency.p99
    # 250 req/s for 20 s: 5000 requests of the load, the probe's 200 left out.
    load = analysis.latency_summary([cell])
    assert load is not None
    assert load.count == 5000


def test_lag_summary_falls_back_to_the_cells_own(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    shutil.copytree(GOLDEN_RUN, run_dir)
    cell_dir = run_dir / "cells" / "013-background-sleep200ms-wna-r50"
    (cell_dir / "histograms.json").unlink()
    cell = _cell(load_run(run_dir), "013-background-sleep200ms-wna-r50")
    stored = json.loads((cell_dir / "cell.json").read_text())["server"]["tasks"]
    lag = analysis.completion_lag_summary([cell])
    assert lag is not None
    assert lag.p99 == stored["background/sleep"]["completion_lag_us"]["p99"]


def test_task_outcomes(golden_run: Run) -> None:
    outcomes = analysis.task_outcomes([_cell(golden_run, "009-failing-sleep200ms-wna-r100")])
    # 6000 tasks in the measured phase and the warm-up's 1200 (20% more), which complete.
    assert (outcomes.enqueued, outcomes.completed, outcomes.failed, outcomes.not_run) == (
        7200,
        3200,
        2000,
        2000,
    )
    assert outcomes.completed + outcomes.failed + outcomes.not_run + outcomes.lost == 7200
    lost = analysis.task_outcomes([_cell(golden_run, "037-queue-cpu5ms-w4-r50")])
    assert lost.lost == 3


def test_what_the_broker_lost_is_lost_in_the_task_outcomes(golden_run: Run) -> None:
    cell = _cell(golden_run, "036-queue-cpu5ms-w2-r50")
    assert cell.accounting is not None
    counts = cell.accounting
    moved = replace(counts, completed=counts.completed - 7)
    broker_lost = replace(cell, accounting=replace(moved, lost_in_broker=7))
    outcomes = analysis.task_outcomes([broker_lost])
    assert outcomes.lost == counts.lost + 7
    parts = outcomes.completed + outcomes.failed + outcomes.not_run + outcomes.lost
    assert parts == outcomes.enqueued
