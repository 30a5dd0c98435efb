"""Reading a run: the golden run loads whole; a corrupt, partial or foreign directory gives
one clear line (what and how to fix), and a partial run keeps what it has."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from bgbench.results.errors import ReportInputError
from bgbench.results.model import Run
from bgbench.results.names import SCHEMA_VERSION
from bgbench.results.reader import load_run, read_schema_version
from tests.reports.conftest import GOLDEN, GOLDEN_RUN, PROBE_CELL


@pytest.fixture
def run_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(GOLDEN_RUN, tmp_path / GOLDEN_RUN.name))


def test_golden_run_loads_every_cell(golden_run: Run) -> None:
    assert golden_run.run_id == "20250101T000000Z-golden"
    assert golden_run.status == "partial"
    assert len(golden_run.cells) == 42
    assert golden_run.missing == ()
    failed = next(c for c in golden_run.cells if c.status == "failed")
    assert failed.client is None
    assert failed.timeseries is None
    assert failed.histograms is None
    assert failed.reason is not None
    assert "BrokenProcessPool" in failed.reason


def test_timeseries_reads_empty_fields_as_not_measured(golden_run: Run) -> None:
    none = golden_run.cells[0]
    assert none.timeseries is not None
    assert len(none.timeseries) == 21  # 20 s of load, 1 s of drain
    assert none.timeseries.column("offered_rps", loaded_only=True).size == 20
    assert np.isnan(none.timeseries.columns["completion_lag_p99_us"]).all()
    assert none.timeseries.column("completion_lag_p99_us").size == 0
    assert none.timeseries.column("p99_us").mean() == pytest.approx(2500)


def _error(path: Path) -> str:
    with pytest.raises(ReportInputError) as caught:
        load_run(path)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_missing_directory(tmp_path: Path) -> None:
    assert "no such directory" in _error(tmp_path / "nope")


def test_foreign_directory(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a run")
    message = _error(tmp_path)
    assert "not a bgbench run (no manifest.json)" in message
    assert "results/<run_id>" in message


def test_the_results_folder_instead_of_a_run() -> None:
    assert "holds runs, not one run" in _error(GOLDEN)


def test_a_file_instead_of_a_directory(run_copy: Path) -> None:
    assert "a file, not a run directory" in _error(run_copy / "manifest.json")


def test_corrupt_manifest(run_copy: Path) -> None:
    manifest = run_copy / "manifest.json"
    manifest.write_text(manifest.read_text()[:200])
    message = _error(run_copy)
    assert "manifest.json: not valid JSON" in message
    assert "re-run the sweep" in message


def test_foreign_manifest(run_copy: Path) -> None:
    (run_copy / "manifest.json").write_text(json.dumps({"name": "something else"}))
    assert "not a bgbench manifest" in _error(run_copy)


def _set_version(run_copy: Path, version: int) -> None:
    manifest = run_copy / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = version
    manifest.write_text(json.dumps(data))


def test_unknown_schema_version(run_copy: Path) -> None:
    _set_version(run_copy, SCHEMA_VERSION + 1)
    assert read_schema_version(run_copy) == SCHEMA_VERSION + 1
    message = _error(run_copy)
    assert (
        f"results schema version {SCHEMA_VERSION + 1}, but this bgbench reads version " in message
    )
    assert "re-run the sweep" in message


def test_version_1_results_are_refused_as_unjudgeable(run_copy: Path) -> None:
    _set_version(run_copy, 1)
    message = _error(run_copy)
    assert "results schema version 1" in message
    assert "no send lag and no interference, so its cells cannot be judged" in message


def _as_older(run_copy: Path, version: int, section: str, added: str) -> None:
    """The run as `version` wrote it: without the field `added` to `section` after it."""
    _set_version(run_copy, version)
    for path in (run_copy / "cells").glob("*/cell.json"):
        data = json.loads(path.read_text())
        data["schema_version"] = version
        if data[section] is not None:
            del data[section][added]
        path.write_text(json.dumps(data))


def test_version_3_results_read_as_4_with_no_locust_worker_listed(run_copy: Path) -> None:
    _as_older(run_copy, 3, "loadgen", "locust_workers")  # version 3 had none to list
    run = load_run(run_copy)
    assert run.schema_version == 3
    assert run.missing == ()
    assert len(run.cells) == 42
    assert all(c.loadgen.locust_workers == () for c in run.cells if c.loadgen is not None)


def test_a_current_cell_without_its_locust_workers_is_malformed(run_copy: Path) -> None:
    path = next((run_copy / "cells").glob("000-*/cell.json"))
    data = json.loads(path.read_text())
    del data["loadgen"]["locust_workers"]
    path.write_text(json.dumps(data))
    missing = {m.cell_id: m.why for m in load_run(run_copy).missing}
    assert "no `locust_workers`" in missing[path.parent.name]


def test_partial_run_keeps_what_it_has(run_copy: Path) -> None:
    cells = run_copy / "cells"
    shutil.rmtree(cells / "039-background-sleep200ms-wna-closed10")  # never started
    (cells / "038-process_pool-upload20ms-w2-r50" / "cell.json").unlink()  # stopped mid-cell
    corrupt = cells / "001-inline-sleep200ms-wna-r100" / "cell.json"
    corrupt.write_text(corrupt.read_text()[:100])  # cut short
    run = load_run(run_copy)
    assert len(run.cells) == 39
    missing = {m.cell_id: m.why for m in run.missing}
    assert "has no directory" in missing["039-background-sleep200ms-wna-closed10"]
    assert "no cell.json" in missing["038-process_pool-upload20ms-w2-r50"]
    assert "not valid JSON" in missing["001-inline-sleep200ms-wna-r100"]


def test_a_cell_that_does_not_match_the_format_is_missing(run_copy: Path) -> None:
    path = run_copy / "cells" / "000-none-none-wna-r100" / "cell.json"
    data = json.loads(path.read_text())
    del data["client"]["latency_us"]
    path.write_text(json.dumps(data))
    (missing,) = load_run(run_copy).missing
    assert missing.why == "cell files do not match the format: no `latency_us` in Cell.client"


def test_a_cell_directory_the_manifest_does_not_list_yet_is_read(run_copy: Path) -> None:
    manifest = run_copy / "manifest.json"
    data = json.loads(manifest.read_text())
    data["cells"] = data["cells"][:-1]
    data["status"] = "interrupted"
    manifest.write_text(json.dumps(data))
    run = load_run(run_copy)
    assert run.cells[-1].cell_id == "041-background-sleep200ms-wna-r200"


def test_a_run_with_no_readable_cell(run_copy: Path) -> None:
    shutil.rmtree(run_copy / "cells")
    assert "no readable cell" in _error(run_copy)


def test_the_probe_is_named_by_the_results(golden_run: Run) -> None:
    names = {c.cell_id: c.histograms.probe for c in golden_run.cells if c.histograms}
    assert names[PROBE_CELL] == "probe/baseline-sync"
    assert names["025-executor-sleep200ms-w16-r50"] is None  # no probe: `"probe": null`


def test_version_4_results_read_as_5_with_no_queue_worker_recorded(run_copy: Path) -> None:
    _as_older(run_copy, 4, "server", "queue_worker")  # version 4 did not watch the worker
    run = load_run(run_copy)
    assert (run.schema_version, run.missing, len(run.cells)) == (4, (), 42)
    assert all(c.server.queue_worker is None for c in run.cells if c.server is not None)
    assert not any("worker_died" in c.flags for c in run.cells)


def test_version_5_results_read_as_6_with_celery_over_redis(run_copy: Path) -> None:
    _as_older(run_copy, 5, "params", "broker")  # version 5 ran Celery over Redis alone
    run = load_run(run_copy)
    assert (run.schema_version, run.missing, len(run.cells)) == (5, (), 42)
    brokers = {c.params.strategy: c.params.broker for c in run.cells}
    assert brokers["queue"] == "redis"
    assert {b for s, b in brokers.items() if s != "queue"} == {None}
    assert next(c.params.variant for c in run.cells if c.params.strategy == "queue") == "queue ×1"


def test_version_6_results_read_as_7_with_the_workers_memory_and_broker_not_counted(
    run_copy: Path,
) -> None:
    _set_version(run_copy, 6)
    for path in (run_copy / "cells").glob("*/cell.json"):
        data = json.loads(path.read_text())
        data["schema_version"] = 6
        worker = (data["server"] or {}).get("queue_worker")
        if worker is not None:  # version 6 did not measure the worker apart from the server
            for field in ("rss_mib", "processes", "held_at_stop", "started_after_drain"):
                worker.pop(field, None)
        if data["accounting"] is not None:  # nor count what the broker lost
            del data["accounting"]["lost_in_broker"]
        path.write_text(json.dumps(data))
    run = load_run(run_copy)
    assert (run.schema_version, run.missing, len(run.cells)) == (6, (), 42)
    workers = [c.server.queue_worker for c in run.cells if c.server and c.server.queue_worker]
    assert workers  # the golden run has queue cells
    measured = {(w.rss_mib, w.processes, w.held_at_stop, w.started_after_drain) for w in workers}
    assert measured == {(None, None, None, None)}
    assert {c.accounting.lost_in_broker for c in run.cells if c.accounting} == {None}
