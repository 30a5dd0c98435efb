"""The findings from the golden run. Each estimate is checked against the same percentile
computed another way: from the cells' whole histograms (histograms.json `client`/`server`),
merged with hdrh, rather than from the per-second histograms the findings resample. The two
agree only if every percentile really is the percentile of all the requests."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bgbench import hdr
from bgbench.contract import PROBE_REQUEST
from bgbench.results.model import Cell, Run
from bgbench.results.reader import load_run
from reports import findings
from reports.findings import Finding, Findings
from reports.stats import CORRECTION
from tests.reports.conftest import GOLDEN_RUN


@pytest.fixture(scope="module")
def found(golden_run: Run) -> Findings:
    return findings.compute(golden_run)


def _one(found: Findings, kind: str, where: str, *words: str) -> Finding:
    matches = [
        f
        for f in found.found
        if f.kind == kind and f.where == where and all(w in f.text for w in words)
    ]
    assert len(matches) == 1, [f.text for f in found.found if f.kind == kind]
    return matches[0]


def _cells(run: Run, *prefixes: str) -> list[Cell]:
    return [c for c in run.cells if c.cell_id.startswith(prefixes)]


def _response(run: Run, *cells: str, q: float = 99.0) -> int:
    """The load's requests of these cells (every request name but the probe's), merged."""
    encoded = [
        pair.uncorrected
        for cell in _cells(run, *cells)
        for name, pair in cell.histograms.client.items()  # type: ignore[union-attr]
        if name != PROBE_REQUEST and pair.uncorrected
    ]
    found = hdr.percentile(hdr.merge(encoded), q)
    assert found is not None
    return found


def _probe(run: Run, *cells: str, q: float) -> int:
    encoded = [c.histograms.client[PROBE_REQUEST].uncorrected for c in _cells(run, *cells)]  # type: ignore[union-attr]
    found = hdr.percentile(hdr.merge(e for e in encoded if e), q)
    assert found is not None
    return found


def _lag(run: Run, *cells: str, q: float = 99.0) -> int:
    encoded = [
        timings["completion_lag_us"]
        for cell in _cells(run, *cells)
        for timings in cell.histograms.server.values()  # type: ignore[union-attr]
    ]
    found = hdr.percentile(hdr.merge(encoded), q)
    assert found is not None
    return found


def _loop(run: Run, *cells: str) -> int:
    encoded = [c.histograms.event_loop_lag for c in _cells(run, *cells)]  # type: ignore[union-attr]
    found = hdr.percentile(hdr.merge(e for e in encoded if e), 99.0)
    assert found is not None
    return found


def test_lowest_p99_names_the_best_strategy_and_its_lead(found: Findings, golden_run: Run) -> None:
    finding = _one(found, "lowest_p99", "sleep 200 ms at 100 req/s, with a probe")
    # background_async has the lowest p99; middleware_asgi is next. The gap is the two cells'
    # merged p99s apart (background's two repeats are one point, merged too).
    gap = finding.measures[0].interval
    best, next_ = _response(golden_run, "004-"), _response(golden_run, "007-")
    assert finding.text.startswith(
        "At sleep 200 ms at 100 req/s, with a probe, background_async keeps p99 response "
        "latency lowest: 3.25 ms over 2,000 requests; middleware_asgi is +874 µs"
    )
    assert gap.estimate == next_ - best
    assert gap.significant
    assert gap.low <= gap.estimate <= gap.high
    # The saturated background_blocking cell is not a candidate, and the finding says so.
    assert any("background_blocking" in n for n in finding.not_counted)
    assert "007-middleware_asgi-sleep200ms-wna-r100" in finding.cells


def test_lowest_p99_says_tie_when_not_significant(found: Findings) -> None:
    finding = _one(found, "lowest_p99", "sleep 200 ms at 50 req/s, no probe")
    # Every executor cell here has the same latency spread: a tie.
    assert finding.measures[0].interval.estimate == 0
    assert not finding.measures[0].interval.significant
    assert "executor ×2 and executor ×4 tie for the lowest p99" in finding.text
    assert "not significant" in finding.text


def test_no_percentile_from_too_few_requests(golden_run: Run) -> None:
    # 50 req/s for 20 s is 1,000 requests: just enough for a p99. Half the cell's seconds
    # (500 requests) are not, and the finding is left out rather than claimed.
    def halved(cell: Cell) -> Cell:
        if cell.histograms is None:
            return cell  # a failed cell
        per_second = cell.histograms.per_second
        keep = len(per_second.seconds) // 2
        cut = dataclasses.replace(
            per_second,
            seconds=per_second.seconds[:keep],
            series={k: v[:keep] for k, v in per_second.series.items()},
        )
        return dataclasses.replace(
            cell, histograms=dataclasses.replace(cell.histograms, per_second=cut)
        )

    run = dataclasses.replace(golden_run, cells=tuple(halved(c) for c in golden_run.cells))
    wheres = {f.where for f in findings.compute(run).found if f.kind == "lowest_p99"}
    assert "sleep 200 ms at 50 req/s, no probe" not in wheres
    assert "sleep 200 ms at 100 req/s, with a probe" in wheres  # 1,000 of 2,000 remain


def test_worker_limit_finds_the_knee(found: Findings, golden_run: Run) -> None:
    finding = _one(found, "worker_limit", "sleep 200 ms at 50 req/s, no probe", "executor")
    eight_to_16, sixteen_to_32 = (m.interval for m in finding.measures)
    # ×8 falls behind (its lag ramps up second by second); ×16 and ×32 keep up.
    w8, w16, w32 = (_lag(golden_run, f"0{i}-") for i in (24, 25, 26))
    assert eight_to_16.estimate == w16 - w8
    assert eight_to_16.significant
    assert sixteen_to_32.estimate == w32 - w16
    assert not sixteen_to_32.significant
    assert "more than 16 executor workers stopped helping" in finding.text
    assert "completion-lag p99 (over all tasks)" in finding.text


def test_worker_limit_when_the_first_step_does_not_help(found: Findings) -> None:
    finding = _one(found, "worker_limit", "cpu 5 ms at 50 req/s, no probe", "executor")
    # ×1 lag p99 6000, ×2 6100: slower, not faster: one worker is enough.
    assert len(finding.measures) == 1
    assert finding.measures[0].interval.estimate > 0
    assert "more than 1 executor worker stopped helping" in finding.text


def test_worker_limit_leaves_out_an_invalid_cell(found: Findings) -> None:
    finding = _one(found, "worker_limit", "cpu 5 ms at 50 req/s, no probe", "queue")
    assert "037-queue-cpu5ms-w4-r50" not in finding.cells
    assert any("queue ×4 (invalid" in n for n in finding.not_counted)


def test_starvation_of_the_sync_probe(found: Findings, golden_run: Run) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 250 req/s, with a probe")
    # 200 probe requests a cell: too few for a p99 (1,000), enough for a p90 (100).
    change = finding.measures[0].interval
    none, background = _probe(golden_run, "015-", q=90), _probe(golden_run, "017-", q=90)
    assert change.estimate == background - none
    assert change.significant
    assert "its p90 (of 200, 200 probe requests: too few for a p99) rose by +492 ms" in (
        finding.text
    )
    assert "peak 40 of 40 thread-pool tokens in use: the pool ran out" in finding.text
    assert f"Slower probes ({CORRECTION}): background." in finding.text


def test_the_token_peak_sees_what_the_sample_each_second_misses(
    found: Findings, golden_run: Run
) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 200 req/s, with a probe")
    (cell,) = (c for c in golden_run.cells if c.cell_id == "041-background-sleep200ms-wna-r200")
    assert cell.server is not None
    assert cell.server.gauges_max["threadpool_tokens_in_use"] == 38  # the sample each second
    assert cell.server.gauges_max["threadpool_tokens_in_use_max"] == 40  # the 10 ms peak
    assert "peak 40 of 40 thread-pool tokens in use: the pool ran out" in finding.text


def test_starvation_pools_repeats_and_says_the_pool_did_not_run_out(
    found: Findings, golden_run: Run
) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 100 req/s, with a probe")
    # background's two repeats are one point: their probe histograms merged (400 requests).
    expected = _probe(golden_run, "002-", "003-", q=90) - _probe(golden_run, "000-", q=90)
    assert finding.measures[0].interval.estimate == expected
    assert "(of 200, 400 probe requests" in finding.text
    assert "background slows the /baseline-sync probe" in finding.text
    assert "peak 27 of 40 thread-pool tokens in use: the pool did not run out" in finding.text


def test_starvation_says_when_no_strategy_slowed_the_probe(found: Findings) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 50 req/s, with a probe")
    change = finding.measures[0].interval
    assert not change.significant
    assert (
        f"no strategy slowed the /baseline-sync probe significantly ({CORRECTION}): the "
        "largest change of its p90" in finding.text
    )


def test_blocking_call_in_an_async_task(found: Findings, golden_run: Run) -> None:
    finding = _one(found, "blocking", "sleep 5 ms at 100 req/s, with a probe")
    loop, response, probe = (m.interval for m in finding.measures)
    assert loop.estimate == _loop(golden_run, "021-") - _loop(golden_run, "020-")
    assert response.estimate == _response(golden_run, "021-") - _response(golden_run, "020-")
    assert probe.estimate == _probe(golden_run, "021-", q=90) - _probe(golden_run, "020-", q=90)
    assert loop.significant
    assert response.significant
    assert probe.significant
    # At 200 ms the blocking cell saturated: no blocking finding there, and none drawn from it.
    assert not [f for f in found.found if f.kind == "blocking" and "200 ms" in f.text]


def test_middleware_cost(found: Findings, golden_run: Run) -> None:
    base = _one(found, "middleware", "sleep 200 ms at 100 req/s, with a probe", "middleware_base")
    asgi = _one(found, "middleware", "sleep 200 ms at 100 req/s, with a probe", "middleware_asgi")
    background = ("002-", "003-")  # two repeats, merged
    base_p50, base_p99 = (m.interval for m in base.measures)
    asgi_p99 = asgi.measures[1].interval
    assert base_p50.estimate == _response(golden_run, "006-", q=50) - _response(
        golden_run, *background, q=50
    )
    assert base_p99.estimate == _response(golden_run, "006-") - _response(golden_run, *background)
    assert base_p99.significant
    assert asgi_p99.estimate == _response(golden_run, "007-") - _response(golden_run, *background)
    assert not asgi_p99.significant
    assert "not significant" in asgi.text


def test_inline_cost(found: Findings, golden_run: Run) -> None:
    finding = _one(found, "inline", "sleep 200 ms at 100 req/s, with a probe")
    p50, p99 = (m.interval for m in finding.measures)
    background = ("002-", "003-")
    assert p50.estimate == _response(golden_run, "001-", q=50) - _response(
        golden_run, *background, q=50
    )
    assert p99.estimate == _response(golden_run, "001-") - _response(golden_run, *background)


def test_overload_names_the_growing_backlog_against_theory(found: Findings) -> None:
    finding = _one(found, "overload", "sleep 200 ms at 50 req/s, no probe", "executor ×2 ")
    # 2 workers of 200 ms tasks finish 10 a second; 50 are offered: 40 more wait each second.
    growth = finding.measures[0].interval
    assert growth.estimate == pytest.approx(40, rel=0.01)
    assert "against λ − k/s = 50 − 10 = 40 tasks/s in theory (2 workers, 200 ms a task)" in (
        finding.text
    )
    assert "A queue_limit of 10 (one second of its capacity)" in finding.text
    # Every cell that keeps up is left out: ×16 and ×32 here.
    overloaded = {f.cells for f in found.found if f.kind == "overload"}
    assert overloaded == {
        ("022-executor-sleep200ms-w2-r50",),
        ("023-executor-sleep200ms-w4-r50",),
        ("024-executor-sleep200ms-w8-r50",),
        ("017-background-sleep200ms-wna-r250",),
    }


def test_tasks_not_run(found: Findings) -> None:
    (finding,) = [f for f in found.found if f.kind == "not_run"]
    # failing: 100 req/s × 20 s = 2000 requests × 3 tasks = 6000, a third never ran; and the
    # warm-up's 1200, which all ran. Wilson, z = 1.959964, p = 2000/7200, n = 7200: centre
    # (p + z²/2n) / (1 + z²/n) = 0.277896, half-width z √(p(1 − p)/n + z²/4n²) / (1 + z²/n)
    # = 0.010344: 0.267553 to 0.288240.
    interval = finding.measures[0].interval
    assert interval.estimate == pytest.approx(2000 / 7200)
    assert interval.low == pytest.approx(0.267553, abs=2e-6)
    assert interval.high == pytest.approx(0.288240, abs=2e-6)
    assert "failing never ran 2000 of 7200 background tasks" in finding.text


def test_queue_memory_divides_what_the_worker_finished_by_its_memory(found: Findings) -> None:
    by_cells = {f.cells: f for f in found.found if f.kind == "queue_memory"}
    # The trusted queue cells at 50 req/s of 5 ms tasks: each keeps up, 50 tasks/s, with a
    # worker of 60 MiB plus 50 per pool process (the ×4 cell is flagged: not counted).
    assert set(by_cells) == {("035-queue-cpu5ms-w1-r50",), ("036-queue-cpu5ms-w2-r50",)}
    one, two = by_cells[("035-queue-cpu5ms-w1-r50",)], by_cells[("036-queue-cpu5ms-w2-r50",)]
    assert one.measures[0].interval.estimate == pytest.approx(50 * 100 / 110)
    assert two.measures[0].interval.estimate == pytest.approx(50 * 100 / 160)
    assert "its worker took up to 110 MiB (resident, summed over 2 processes)" in one.text


def test_no_finding_uses_a_flagged_cell(found: Findings) -> None:
    flagged = {
        "005-background_blocking-sleep200ms-wna-r100",
        "016-inline-sleep200ms-wna-r250",
        "019-none-none-wna-r3000",
        "037-queue-cpu5ms-w4-r50",
        "038-process_pool-upload20ms-w2-r50",
    }
    for finding in found.found:
        assert not flagged & set(finding.cells), finding.text


def test_no_finding_speaks_of_a_mean_of_percentiles(found: Findings) -> None:
    for finding in found.found:
        assert "mean per-second" not in finding.text
        assert "means of per-second" not in finding.text


def test_every_kind_is_found_or_skipped_with_a_reason(found: Findings) -> None:
    kinds = {f.kind for f in found.found} | {s.kind for s in found.skipped}
    assert kinds == set(findings.KINDS)
    assert found.skipped == ()


def test_a_run_without_the_cells_skips_findings_and_says_why(golden_run: Run) -> None:
    only_controls = [c for c in golden_run.cells if c.params.strategy in ("none", "inline")]
    result = findings.compute(dataclasses.replace(golden_run, cells=tuple(only_controls)))
    skipped = {s.kind: s.reason for s in result.skipped}
    assert "blocking" in skipped
    assert "background_blocking and background_async" in skipped["blocking"]
    assert "lowest_p99" in skipped


def test_findings_are_deterministic(golden_run: Run, found: Findings) -> None:
    assert findings.compute(golden_run) == found


def test_a_step_that_does_not_help_is_no_knee_if_a_later_one_does(tmp_path: Path) -> None:
    run_dir = Path(shutil.copytree(GOLDEN_RUN, tmp_path / GOLDEN_RUN.name))
    cells = run_dir / "cells"
    # ×4 made exactly as slow as ×2: the step 2 → 4 no longer helps, but 4 → 8 still does.
    shutil.copy(
        cells / "022-executor-sleep200ms-w2-r50" / "histograms.json",
        cells / "023-executor-sleep200ms-w4-r50" / "histograms.json",
    )
    finding = _one(
        findings.compute(load_run(run_dir)), "worker_limit", "sleep 200 ms at 50 req/s, no probe"
    )
    assert "more than 16 executor workers stopped helping" in finding.text
