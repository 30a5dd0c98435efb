"""The server tree's memory and open files: read from real processes by the sampler, stored
per second in timeseries.csv, summed up in cell.json, and judged for growth."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from bgbench.results import names
from sweep.cell_results import build
from sweep.cell_runner import LEDGER_RETAIN, target_env
from sweep.definition import CellSpec
from sweep.resources import MIB, TreeResources, measure
from sweep.sampler import Sample
from target_app.settings import Settings
from tests.sweep.test_cell_results import T0, client_json, outcome, window

# A child that opens 64 files more than it started with, says so, and waits to be ended.
OPENER = """
import sys, tempfile
held = [tempfile.TemporaryFile() for _ in range(64)]
print("open", flush=True)
sys.stdin.read()
"""


@pytest.fixture
def opener() -> Iterator[subprocess.Popen[str]]:
    child = subprocess.Popen(
        [sys.executable, "-c", OPENER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None
    assert child.stdout.readline() == "open\n"
    yield child
    child.communicate(timeout=10)  # closes stdin: the child reads EOF and ends


def test_a_process_tree_is_summed(opener: subprocess.Popen[str]) -> None:
    alone = measure([opener.pid])
    both = measure([opener.pid, os.getpid()])
    assert alone is not None
    assert alone.open_fds >= 64 + 3  # the files, and stdin, stdout, stderr
    assert alone.rss_bytes > MIB
    assert both is not None
    assert both.processes == 2
    assert both.open_fds >= alone.open_fds + 3
    assert both.rss_bytes > alone.rss_bytes + MIB


def test_a_process_that_ended_is_left_out(opener: subprocess.Popen[str]) -> None:
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait(timeout=10)
    found = measure([opener.pid, ended.pid])
    assert found is not None
    assert found.processes == 1
    assert measure([ended.pid]) is None
    assert measure([]) is None


def _samples(seconds: int, rss_mib: Sequence[float] | None) -> list[Sample]:
    samples = [window(T0 + s, 50, 2) for s in range(seconds + 1)]
    if rss_mib is None:
        return samples
    return [
        replace(s, resources=TreeResources(round(mib * MIB), 40 + (i % 3), 1))
        for i, (s, mib) in enumerate(zip(samples, rss_mib, strict=True))
    ]


def test_each_second_and_the_cells_trend() -> None:
    seconds = 150
    rss = [100 + s / 6 for s in range(seconds + 1)]  # 10 MiB a minute, without levelling
    cell = build(outcome(client_json(50 * seconds, seconds), _samples(seconds, rss)))
    assert cell.timeseries is not None
    column = cell.timeseries.columns["server_rss_mib"]
    assert column[:3].tolist() == [100.0, 100.17, 100.33]
    assert cell.timeseries.columns["server_open_fds"][:3].tolist() == [40, 41, 42]
    assert cell.server is not None
    resources = cell.server.resources
    assert resources is not None
    assert resources.seconds == seconds  # the loaded seconds: the drain's is left out
    assert resources.rss_mib.per_min == pytest.approx(10.0, abs=0.01)
    assert (resources.rss_mib.start, resources.rss_mib.max) == (100.0, resources.rss_mib.end)
    assert "memory_growth" in cell.flags
    assert "fd_growth" not in cell.flags
    assert cell.status == "ok"


def test_a_short_cell_has_a_trend_but_no_judgement() -> None:
    rss = [100 + s for s in range(11)]  # a start-up climb: 60 MiB a minute
    cell = build(outcome(client_json(500), _samples(10, rss)))
    assert cell.server is not None
    assert cell.server.resources is not None
    assert "memory_growth" not in cell.flags


def test_not_sampled_is_empty_not_zero() -> None:
    cell = build(outcome(client_json(500), _samples(10, None)))
    assert cell.server is not None
    assert cell.server.resources is None
    assert cell.timeseries is not None
    for name in ("server_rss_mib", "server_open_fds"):
        assert name in names.TIMESERIES_COLUMNS
        assert bool(np.isnan(cell.timeseries.columns[name]).all())


def test_a_cells_app_retains_few_finished_tasks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing in a sweep reads /tasks/{id}; the app's default retention grew its RSS by
    # ~100 MiB over a soak before levelling off.
    for name, value in target_env(CellSpec(), tmp_path, tmp_path).items():
        monkeypatch.setenv(name, value)
    assert Settings().ledger_retain == LEDGER_RETAIN <= 1000
