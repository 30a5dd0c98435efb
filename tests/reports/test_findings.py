"""The findings from the golden run, checked against numbers computed by hand from the
levels in make_golden.py: every per-second column there is `level + amplitude × PATTERN`
(PATTERN sums to zero, so a column's mean is its level) or `level + ramp × t`."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from bgbench.results.model import Run
from bgbench.results.reader import load_run
from reports import findings
from reports.findings import Finding, Findings
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


def test_lowest_p99_names_the_best_strategy_and_its_lead(found: Findings) -> None:
    finding = _one(found, "lowest_p99", "sleep 200 ms at 100 req/s, with a probe")
    # background_async: level 3200 µs. background: repeats x1 (level 4000) and x2 (level
    # 4200) pooled, 10 seconds each: (10 × 4000 + 10 × 4200) / 20 = 4100. Lead: 4100 − 3200.
    gap = finding.measures[0].interval
    assert finding.text.startswith(
        "At sleep 200 ms at 100 req/s, with a probe, background_async keeps p99 response "
        "latency lowest"
    )
    assert gap.estimate == pytest.approx(4100 - 3200)
    assert gap.significant
    assert gap.low < 900 < gap.high
    # The saturated background_blocking cell is not a candidate, and the finding says so.
    assert any("background_blocking" in n for n in finding.not_counted)
    assert "002-background-sleep200ms-wna-r100" in finding.cells


def test_lowest_p99_says_tie_when_not_significant(found: Findings) -> None:
    finding = _one(found, "lowest_p99", "sleep 200 ms at 50 req/s, no probe")
    # Every executor cell here has the same per-second p99 level, 3100 µs: a tie.
    assert finding.measures[0].interval.estimate == 0
    assert not finding.measures[0].interval.significant
    assert "executor ×2 and executor ×4 tie for the lowest p99" in finding.text
    assert "not significant" in finding.text


def test_worker_limit_finds_the_knee(found: Findings) -> None:
    finding = _one(found, "worker_limit", "sleep 200 ms at 50 req/s, no probe", "executor")
    eight_to_16, sixteen_to_32 = (m.interval for m in finding.measures)
    # ×8 falls behind: lag p99 = 200 000 + 250 000 × t µs, t = 0..9: mean 200 000 + 250 000 ×
    # 4.5 = 1 325 000. ×16: level 204 000. ×32: level 203 500.
    assert eight_to_16.estimate == pytest.approx(204_000 - 1_325_000)  # −1 121 000
    assert eight_to_16.significant
    assert sixteen_to_32.estimate == pytest.approx(203_500 - 204_000)  # −500
    assert not sixteen_to_32.significant
    assert "more than 16 executor workers stopped helping" in finding.text


def test_worker_limit_when_the_first_step_does_not_help(found: Findings) -> None:
    finding = _one(found, "worker_limit", "cpu 5 ms at 50 req/s, no probe", "executor")
    # ×1 lag level 6000, ×2 level 6100: +100 µs, not significant: one worker is enough.
    assert [m.interval.estimate for m in finding.measures] == [pytest.approx(100)]
    assert "more than 1 executor worker stopped helping" in finding.text


def test_worker_limit_leaves_out_an_invalid_cell(found: Findings) -> None:
    finding = _one(found, "worker_limit", "cpu 5 ms at 50 req/s, no probe", "queue")
    assert "037-queue-cpu5ms-w4-r50" not in finding.cells
    assert any("queue ×4 (invalid" in n for n in finding.not_counted)


def test_starvation_of_the_sync_probe(found: Findings) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 250 req/s, with a probe")
    # Per-second probe p99 levels: background 800 000 µs, none 1900 µs: +798 100 µs.
    change = finding.measures[0].interval
    assert change.estimate == pytest.approx(800_000 - 1_900)
    assert change.significant
    assert change.low < 798_100 < change.high
    assert "its mean per-second p99 rose by +798 ms (95% CI " in finding.text
    assert "histogram" not in finding.text  # the fallback's note
    assert "over 1.9 ms with no background work" in finding.text
    assert "peak 40 of 40 thread-pool tokens in use: the pool ran out" in finding.text


def test_the_token_peak_sees_what_the_sample_each_second_misses(
    found: Findings, golden_run: Run
) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 200 req/s, with a probe")
    # Per-second probe p99 levels: background 12 000 µs, none 1900 µs: +10 100 µs.
    assert finding.measures[0].interval.estimate == pytest.approx(12_000 - 1_900)
    (cell,) = (c for c in golden_run.cells if c.cell_id == "041-background-sleep200ms-wna-r200")
    assert cell.server is not None
    assert cell.server.gauges_max["threadpool_tokens_in_use"] == 38  # the sample each second
    assert cell.server.gauges_max["threadpool_tokens_in_use_max"] == 40  # the 10 ms peak
    assert "peak 40 of 40 thread-pool tokens in use: the pool ran out" in finding.text


def test_starvation_pools_repeats_and_says_the_pool_did_not_run_out(found: Findings) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 100 req/s, with a probe")
    # background's two repeats pooled, 10 s each at per-second probe p99 levels 3200 and
    # 3300 µs: 3250; none 1900: +1350 µs. Token peaks 26 and 27: the higher counts.
    assert finding.measures[0].interval.estimate == pytest.approx(3250 - 1900)
    assert "background slows the /baseline-sync probe" in finding.text
    assert "peak 27 of 40 thread-pool tokens in use: the pool did not run out" in finding.text


def test_starvation_says_when_no_strategy_slowed_the_probe(found: Findings) -> None:
    finding = _one(found, "starvation", "sleep 200 ms at 50 req/s, with a probe")
    # Per-second probe p99 levels: background 2000 µs, the others 1900 µs like none: the
    # largest change, +100 µs, is within the seconds' spread (amplitude 150 µs × PATTERN).
    change = finding.measures[0].interval
    assert change.estimate == pytest.approx(2000 - 1900)
    assert not change.significant
    assert (
        "no strategy slowed the /baseline-sync probe's mean per-second p99 significantly: the "
        "largest change, with background, is +100 µs" in finding.text
    )


def test_older_results_compare_the_probe_by_its_histogram(older_run: Run) -> None:
    found = findings.compute(older_run)
    finding = _one(found, "starvation", "sleep 200 ms at 250 req/s, with a probe")
    # Probe histograms: 100 log-normal quantiles, the i-th at p50 × exp(σ z((i + 0.5)/100)),
    # σ = ln(p99/p50) / z(0.99). HDR's p99 is the 99th value (rank int(0.99 × 100 + 0.5)),
    # i = 98, z(0.985) = 2.17009:
    #   background: σ = ln(1 200 000 / 400 000) / 2.32635 = 0.47224;
    #     400 000 × exp(0.47224 × 2.17009) = 1 114 638 → HDR bucket of width 1024 from
    #     1 114 112, reported as its highest value 1 115 135.
    #   none: σ = ln(2600 / 1000) / 2.32635 = 0.41074; 1000 × exp(0.41074 × 2.17009) = 2438
    #     → bucket of width 2 → 2439.
    change = finding.measures[0].interval
    assert change.estimate == 1_115_135 - 2_439
    assert change.significant
    assert "its p99 over all its requests rose by +1.11 s" in finding.text
    assert finding.text.endswith(
        "These results have no per-second probe p99, so the probe's p99 comes from its "
        "histogram, resampled by request: its interval is likely too narrow."
    )
    assert "over 2.44 ms with no background work" in finding.text
    # Without the peak, only the sample taken each second: 40 of 40 here, but 38 at 200 req/s.
    assert "the thread pool ran out: all 40 tokens were in use" in finding.text
    at_200 = _one(found, "starvation", "sleep 200 ms at 200 req/s, with a probe")
    assert (
        "the thread pool was not seen to run out (sampled each second, at most 38 of 40 tokens "
        "in use)" in at_200.text
    )
    blocking = _one(found, "blocking", "sleep 5 ms at 100 req/s, with a probe")
    assert "the /baseline-sync probe's p99 over all its requests by" in blocking.text
    assert blocking.text.endswith("its interval is likely too narrow.")


def test_blocking_call_in_an_async_task(found: Findings) -> None:
    finding = _one(found, "blocking", "sleep 5 ms at 100 req/s, with a probe")
    loop, response, probe = (m.interval for m in finding.measures)
    assert loop.estimate == pytest.approx(9500 - 350)  # event-loop lag p99 levels
    assert response.estimate == pytest.approx(38_000 - 2900)  # response p99 levels
    assert probe.estimate == pytest.approx(24_000 - 2000)  # per-second probe p99 levels
    assert loop.significant
    assert response.significant
    assert probe.significant
    assert "the /baseline-sync probe's mean per-second p99 by +22 ms" in finding.text
    # At 200 ms the blocking cell saturated: no blocking finding there, and none drawn from it.
    assert not [f for f in found.found if f.kind == "blocking" and "200 ms" in f.text]


def test_middleware_cost(found: Findings) -> None:
    base = _one(found, "middleware", "sleep 200 ms at 100 req/s, with a probe", "middleware_base")
    asgi = _one(found, "middleware", "sleep 200 ms at 100 req/s, with a probe", "middleware_asgi")
    # p50 levels: base 1500, asgi 1350; background (1300 + 1350) / 2 = 1325.
    # p99 levels: base 4800, asgi 4150; background 4100 (see above).
    base_p50, base_p99 = (m.interval for m in base.measures)
    asgi_p50, asgi_p99 = (m.interval for m in asgi.measures)
    assert base_p50.estimate == pytest.approx(1500 - 1325)
    assert base_p99.estimate == pytest.approx(4800 - 4100)
    assert base_p99.significant
    assert asgi_p50.estimate == pytest.approx(1350 - 1325)
    assert asgi_p99.estimate == pytest.approx(4150 - 4100)
    assert not asgi_p99.significant
    assert "not significant" in asgi.text


def test_inline_cost(found: Findings) -> None:
    finding = _one(found, "inline", "sleep 200 ms at 100 req/s, with a probe")
    p50, p99 = (m.interval for m in finding.measures)
    assert p50.estimate == pytest.approx(201_500 - 1325)
    assert p99.estimate == pytest.approx(206_000 - 4100)


def test_tasks_not_run(found: Findings) -> None:
    (finding,) = [f for f in found.found if f.kind == "not_run"]
    # failing: 100 req/s × 10 s = 1000 requests × 3 tasks = 3000; a third never ran.
    # Wilson, z = 1.95996, p = 1/3, n = 3000: centre (p + z²/2n) / (1 + z²/n) = 0.333546,
    # half-width z √(p(1 − p)/n + z²/4n²) / (1 + z²/n) = 0.016859: 0.316687 to 0.350406.
    interval = finding.measures[0].interval
    assert interval.estimate == pytest.approx(1 / 3)
    assert interval.low == pytest.approx(0.316687, abs=1e-6)
    assert interval.high == pytest.approx(0.350406, abs=1e-6)
    assert "failing never ran 1000 of 3000 background tasks" in finding.text


def test_no_finding_uses_a_flagged_cell(found: Findings, golden_run: Run) -> None:
    flagged = {
        "005-background_blocking-sleep200ms-wna-r100",
        "016-inline-sleep200ms-wna-r250",
        "019-none-none-wna-r3000",
        "037-queue-cpu5ms-w4-r50",
        "038-process_pool-upload20ms-w2-r50",
    }
    for finding in found.found:
        assert not flagged & set(finding.cells), finding.text


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
        cells / "022-executor-sleep200ms-w2-r50" / "timeseries.csv",
        cells / "023-executor-sleep200ms-w4-r50" / "timeseries.csv",
    )
    finding = _one(
        findings.compute(load_run(run_dir)), "worker_limit", "sleep 200 ms at 50 req/s, no probe"
    )
    assert "more than 16 executor workers stopped helping" in finding.text
