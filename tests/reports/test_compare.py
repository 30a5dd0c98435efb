"""Comparing runs: a run against itself changes nothing significantly; a slower copy fails
with the regression named; runs of different schema versions are refused."""

from __future__ import annotations

import argparse
import csv
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from bgbench import hdr
from bgbench.results.model import Run
from bgbench.results.names import SCHEMA_VERSION
from bgbench.results.reader import load_run
from reports.commands import add_compare_arguments, run_compare, threshold
from reports.compare import METRICS, Change, Comparison, compare_runs
from reports.render_compare import render_comparison
from reports.stats import Interval, detectable
from tests.reports.conftest import GOLDEN_RUN, SLOWER_RUN


def _compare(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    add_compare_arguments(parser)
    return run_compare(parser.parse_args(list(argv)))


def test_a_run_against_itself(capsys: pytest.CaptureFixture[str]) -> None:
    assert _compare(str(GOLDEN_RUN), str(GOLDEN_RUN)) == 0
    out = capsys.readouterr().out
    assert "not significant" in out
    assert "REGRESSION" not in out
    assert "no significant regression beyond 10%" in out


def test_a_slower_run_fails_naming_the_regression(capsys: pytest.CaptureFixture[str]) -> None:
    assert _compare(str(GOLDEN_RUN), str(SLOWER_RUN), "--threshold", "10%") == 1
    out = capsys.readouterr().out
    assert "2 significant regressions beyond 10% and the detectable effect:" in out
    assert "  background, sleep 200 ms at 100 req/s, with a probe: p99 latency +42.7%" in out
    assert "minimum detectable effect (median over cells; 80% power at the 5% level): " in out


def _p99(run_dir: Path, *cells: str) -> int:
    """The load's p99 over the cells' whole histograms, merged: the other way to the same."""
    encoded = []
    for cell in cells:
        data = json.loads((run_dir / "cells" / cell / "histograms.json").read_text())
        encoded.append(data["client"]["/background"]["uncorrected"])
    found = hdr.percentile(hdr.merge(encoded), 99.0)
    assert found is not None
    return found


def test_the_regression_numbers(golden_run: Run) -> None:
    comparison = compare_runs(golden_run, load_run(SLOWER_RUN), 0.10)
    (p99, corrected) = comparison.failing()
    # The p99 of all of background's requests at 100 req/s, its two repeats merged; the
    # slower copy spreads them 1.5 times as far at the p99.
    repeats = ("002-background-sleep200ms-wna-r100", "003-background-sleep200ms-wna-r100-x2")
    assert p99.before == _p99(GOLDEN_RUN, *repeats)
    assert p99.after == _p99(SLOWER_RUN, *repeats)
    assert p99.change.estimate == pytest.approx(p99.after / p99.before - 1)
    assert p99.change.low > 0.10
    assert p99.change.low > p99.detectable / 2  # resolved, not merely significant
    assert corrected.metric.label == "p99 latency, corrected"
    # Everything else is the same data: nothing else is even significant.
    others = [c for c in comparison.changes if c not in (p99, corrected)]
    assert not [c for c in others if c.change.significant]


def _change(estimate: float, low: float, high: float, spread: float, worse: bool = True) -> Change:
    metric = METRICS[1] if worse else METRICS[3]  # p99 latency; answered share (higher is better)
    return Change(
        "a cell", metric, 1000, 1000 * (1 + estimate), Interval(estimate, low, high, spread=spread)
    )


@pytest.mark.parametrize(
    ("change", "regression", "failing", "verdict"),
    [
        # +30%, resolved (MDE 2.8 × 2% = 5.6%): a regression beyond the 10% threshold.
        (_change(0.30, 0.25, 0.35, 0.02), True, True, "REGRESSION"),
        # +30% and significant, but the runs only resolve 2.8 × 15% = 42%: never called.
        (_change(0.30, 0.02, 0.58, 0.15), True, False, "worse, below the detectable effect"),
        # +5%, resolved: worse, but within the threshold.
        (_change(0.05, 0.03, 0.07, 0.01), True, False, "worse, within threshold"),
        # Exactly at the threshold is not beyond it.
        (_change(0.10, 0.08, 0.12, 0.01), True, False, "worse, within threshold"),
        # −30% latency: better.
        (_change(-0.30, -0.35, -0.25, 0.02), False, False, "better"),
        # The interval spans zero: nothing either way.
        (_change(0.30, -0.1, 0.7, 0.2), False, False, "not significant"),
        # The answered share fell by 30%: higher is better, so a drop is the regression.
        (_change(-0.30, -0.35, -0.25, 0.02, worse=False), True, True, "REGRESSION"),
        # The answered share rose: better.
        (_change(0.30, 0.25, 0.35, 0.02, worse=False), False, False, "better"),
    ],
)
def test_when_a_change_is_a_regression(
    golden_run: Run, change: Change, regression: bool, failing: bool, verdict: str
) -> None:
    assert change.regression == regression
    comparison = Comparison(golden_run, golden_run, 0.10, (change,), (), (), ())
    assert bool(comparison.failing()) == failing
    assert comparison.regressed == failing
    assert f"  {verdict}" in render_comparison(comparison)


def test_a_threshold_above_the_change_passes() -> None:
    assert _compare(str(GOLDEN_RUN), str(SLOWER_RUN), "--threshold", "60%") == 0


def test_a_cell_that_breaks_is_a_regression(tmp_path: Path, golden_run: Run) -> None:
    broken = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "b"))
    path = broken / "cells" / "000-none-none-wna-r100" / "cell.json"
    data = json.loads(path.read_text())
    data["status"], data["reason"] = "failed", "target app did not start"
    path.write_text(json.dumps(data))
    comparison = compare_runs(golden_run, load_run(broken), 0.10)
    assert comparison.regressed
    assert comparison.broken == (
        "none, no background work at 100 req/s, with a probe: trusted in A, but in B failed: "
        "target app did not start",
    )


@pytest.mark.parametrize("version", [4, 5, 6])
def test_a_version_4_5_or_6_run_is_compared_with_a_version_7_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], version: int
) -> None:
    # 5, 6 and 7 only record more (the queue worker, its broker, its memory): the cells mean
    # the same things.
    assert SCHEMA_VERSION == 7
    older = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "older"))
    manifest = older / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = version
    manifest.write_text(json.dumps(data))
    assert _compare(str(older), str(GOLDEN_RUN)) == 0, capsys.readouterr().err


def test_different_schema_versions_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "newer"))
    manifest = newer / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = SCHEMA_VERSION + 1
    manifest.write_text(json.dumps(data))
    assert _compare(str(GOLDEN_RUN), str(newer)) == 2
    error = capsys.readouterr().err
    assert error.startswith("bgbench compare: error: refusing to compare runs of different schema")
    assert error.count("\n") == 1


def test_a_foreign_directory_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _compare(str(GOLDEN_RUN), str(tmp_path)) == 2
    assert "not a bgbench run" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("text", "value"), [("10%", 0.10), ("10", 0.10), ("0.1", 0.10), ("2.5%", 0.025)]
)
def test_threshold(text: str, value: float) -> None:
    assert threshold(text) == pytest.approx(value)


def test_threshold_rejects_nonsense() -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        threshold("ten")


def test_throughput_is_the_answered_share_open_and_the_rate_closed(golden_run: Run) -> None:
    comparison = compare_runs(golden_run, golden_run, 0.10)
    by_metric = {(c.cell, c.metric.label): c for c in comparison.changes}
    # Open model: what share of the requests the schedule sent were answered (Poisson
    # arrivals make the rate itself differ between runs by chance): all of them here.
    answered = by_metric["none, no background work at 100 req/s, with a probe", "answered share"]
    assert answered.before == answered.after == 1.0
    assert not answered.change.significant
    assert (
        "none, no background work at 100 req/s, with a probe",
        "achieved rate, closed model",
    ) not in by_metric
    # Closed model: the rate, over the loaded seconds: 20 at 110 + 0.5 × PATTERN (mean 110);
    # the drain second's 0 left out.
    closed = by_metric[
        "background, sleep 200 ms at 10 users, no probe", "achieved rate, closed model"
    ]
    assert closed.before == pytest.approx(110)


def test_a_drop_in_the_answered_share_is_a_regression() -> None:
    from reports.stats import share_change

    # 1,000 of 1,000 answered, then 900 of 1,000: −10%, far beyond its interval.
    change = share_change((999, 1000), (900, 1000))
    assert change.estimate == pytest.approx(900 / 999 - 1)
    assert change.high < 0
    assert change.significant


def _flag_every_cell(run_dir: Path, flag: str, reason: str) -> None:
    """Every ok cell of the copy as if the sweep had flagged it (as bgbench.trust would)."""
    for path in (run_dir / "cells").glob("*/cell.json"):
        data = json.loads(path.read_text())
        if data["status"] == "ok" and flag not in data["flags"]:
            data["flags"].append(flag)
            data["flag_reasons"][flag] = reason
            path.write_text(json.dumps(data))


def test_a_run_under_interference_is_not_trustworthy_instead_of_regressed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The slower copy, as if it had run while someone else's process had the server's core:
    # its +50% is not called a regression, and the exit code says the comparison is open.
    busy = Path(shutil.copytree(SLOWER_RUN, tmp_path / "busy"))
    _flag_every_cell(busy, "interference", "server cores: 80% of a core used by other processes")
    assert _compare(str(GOLDEN_RUN), str(busy)) == 3
    out = capsys.readouterr().out
    assert "REGRESSION" not in out
    assert "significant regressions" not in out
    assert "not trustworthy: flagged in one run for how it was measured" in out
    assert (
        "  background, sleep 200 ms at 100 req/s, with a probe: trusted in A, but in B "
        "interference (server cores: 80% of a core used by other processes)" in out
    )


def test_flagged_in_a_is_not_trustworthy_either(tmp_path: Path, golden_run: Run) -> None:
    late = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "late"))
    _flag_every_cell(late, "generator_late", "sends ran late")
    comparison = compare_runs(load_run(late), golden_run, 0.10)
    assert not comparison.regressed
    assert comparison.inconclusive
    assert comparison.changes == ()
    assert all(", but in A generator_late (sends ran late)" in u for u in comparison.untrustworthy)


def test_two_runs_flagged_throughout_compare_nothing_and_say_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both runs on a busy machine: no point is trusted in either, so no metric is compared,
    # and that is no 0 (exit 3), whatever the numbers.
    busy_a = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "a"))
    busy_b = Path(shutil.copytree(SLOWER_RUN, tmp_path / "b"))
    for run_dir in (busy_a, busy_b):
        _flag_every_cell(run_dir, "interference", "9% of the server core stolen")
    assert _compare(str(busy_a), str(busy_b)) == 3
    out = capsys.readouterr().out
    assert "nothing compared: no point was trusted in both runs" in out
    assert "REGRESSION" not in out


def _moved(estimates: list[float]) -> tuple[Change, ...]:
    return tuple(
        Change(
            f"cell {i}",
            METRICS[1],
            1000,
            1000 * (1 + e),
            Interval(e, e - 0.05, e + 0.05, spread=0.02),
        )
        for i, e in enumerate(estimates)
    )


def test_one_cell_that_moved_beyond_the_others_is_a_regression(golden_run: Run) -> None:
    # Six cells moved by a few per cent from one run to the other, one by +60%: the spread
    # of the six (1.4826 × median |change|, as a detectable effect) does not hide it.
    changes = _moved([0.02, -0.03, 0.01, 0.04, -0.02, 0.60])
    comparison = Comparison(golden_run, golden_run, 0.10, changes, (), (), ())
    assert comparison.spread()["p99 latency"] < 0.2
    assert [c.cell for c in comparison.failing()] == ["cell 5"]
    assert not comparison.inconclusive


def test_every_cell_moving_together_is_inconclusive(golden_run: Run) -> None:
    # Everything +30%: the machine, or a change to every request; single runs cannot say.
    changes = _moved([0.28, 0.31, 0.30, 0.33, 0.29, 0.32])
    comparison = Comparison(golden_run, golden_run, 0.10, changes, (), (), ())
    assert comparison.shifted() == {"p99 latency": pytest.approx(0.305)}
    assert comparison.inconclusive
    assert "every cell's p99 latency moved: +30.5% (median over the cells)" in (
        render_comparison(comparison)
    )


# The detectable effect of a change whose standard error is 5%: 2.8 × 5% = 14%.
MDE_OF_5_PERCENT = detectable(0.05)


@pytest.mark.parametrize(
    ("estimate", "failing", "verdict"),
    [
        # Beyond the 10% threshold, and significant, but not beyond what the runs resolve.
        (MDE_OF_5_PERCENT, False, "worse, below the detectable effect"),
        (MDE_OF_5_PERCENT + 0.001, True, "REGRESSION"),
    ],
)
def test_the_detectable_effect_is_a_bound_of_its_own(
    golden_run: Run, estimate: float, failing: bool, verdict: str
) -> None:
    change = _change(estimate, estimate - 0.1, estimate + 0.1, 0.05)
    assert change.regression
    assert 0.10 < MDE_OF_5_PERCENT < 0.15
    comparison = Comparison(golden_run, golden_run, 0.10, (change,), (), (), ())
    assert bool(comparison.failing()) == failing
    assert f"  {verdict}" in render_comparison(comparison)


def test_a_change_within_the_runs_spread_is_not_called(golden_run: Run) -> None:
    # Five cells moved by about 20% either way: one at +25%, beyond the threshold and its own
    # detectable effect, is within how far every cell moved between the runs.
    changes = (*_moved([0.20, -0.21, 0.19, -0.22, 0.20]), _change(0.25, 0.2, 0.3, 0.01))
    comparison = Comparison(golden_run, golden_run, 0.10, changes, (), (), ())
    assert comparison.spread()["p99 latency"] > 0.25
    assert comparison.failing() == ()
    assert "  worse, within the runs' spread" in render_comparison(comparison)


def _cell_json(run_dir: Path, cell: str) -> tuple[Path, dict[str, Any]]:
    path = run_dir / "cells" / cell / "cell.json"
    data: dict[str, Any] = json.loads(path.read_text())
    return path, data


def test_a_drop_in_the_answered_share_fails_the_comparison(tmp_path: Path, golden_run: Run) -> None:
    # B's `none` cell at 100 req/s answered 80% of what it sent, the rest unanswered at the
    # stop: throughput of the open model fell by 20%, whatever its latency did.
    fewer = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "fewer"))
    path, data = _cell_json(fewer, "000-none-none-wna-r100")
    sent = data["client"]["requests"]
    data["client"]["requests"], data["client"]["unfinished"] = sent * 4 // 5, sent // 5
    path.write_text(json.dumps(data))
    comparison = compare_runs(golden_run, load_run(fewer), 0.10)
    (failing,) = comparison.failing()
    assert (failing.cell, failing.metric.label) == (
        "none, no background work at 100 req/s, with a probe",
        "answered share",
    )
    assert failing.before == 1.0
    assert failing.after == pytest.approx(0.8)
    assert failing.change.estimate == pytest.approx(-0.2)
    assert comparison.regressed


def test_a_drop_in_the_closed_models_rate_fails_the_comparison(
    tmp_path: Path, golden_run: Run
) -> None:
    # B's closed-model cell answered 30% fewer requests each second.
    slower = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "slower"))
    path = slower / "cells" / "039-background-sleep200ms-wna-closed10" / "timeseries.csv"
    rows = list(csv.DictReader(path.read_text().splitlines()))
    for row in rows:
        row["achieved_rps"] = f"{float(row['achieved_rps']) * 0.7:g}"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    comparison = compare_runs(golden_run, load_run(slower), 0.10)
    (failing,) = comparison.failing()
    assert failing.metric.label == "achieved rate, closed model"
    assert failing.cell == "background, sleep 200 ms at 10 users, no probe"
    assert failing.change.estimate == pytest.approx(-0.3)


def test_an_improvement_passes_and_is_called_better(
    golden_run: Run, capsys: pytest.CaptureFixture[str]
) -> None:
    # The slower copy as A: in B one cell is faster at the p99, by 1/1.5 - 1 of its spread.
    comparison = compare_runs(load_run(SLOWER_RUN), golden_run, 0.10)
    by_metric = {(c.cell, c.metric.label): c for c in comparison.changes}
    better = by_metric["background, sleep 200 ms at 100 req/s, with a probe", "p99 latency"]
    assert better.change.high < -0.2  # significantly lower, by far more than the threshold
    assert not better.regression
    assert not comparison.regressed
    assert _compare(str(SLOWER_RUN), str(GOLDEN_RUN)) == 0
    out = capsys.readouterr().out
    (line,) = [
        line
        for line in out.splitlines()
        if line.startswith(better.cell) and " p99 latency  " in line  # not ", corrected"
    ]
    assert line.endswith("  better")
    assert "REGRESSION" not in out


def test_points_that_cannot_be_compared_are_listed_and_decide_nothing(
    tmp_path: Path, golden_run: Run
) -> None:
    a = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "a"))
    b = Path(shutil.copytree(GOLDEN_RUN, tmp_path / "b"))
    # In A only: B never ran it.
    shutil.rmtree(b / "cells" / "040-none-none-wna-r200")
    # Broken in A, fine in B: fixed, not a regression, but nothing to compare either.
    path, data = _cell_json(a, "027-none-none-wna-r50")
    data["status"], data["reason"] = "failed", "target app did not start"
    path.write_text(json.dumps(data))
    # Flagged for how it was measured in both: neither side can be read.
    for run_dir in (a, b):
        path, data = _cell_json(run_dir, "020-background_async-sleep5ms-wna-r100")
        data["flags"].append("interference")
        data["flag_reasons"]["interference"] = "9% of the server core stolen"
        path.write_text(json.dumps(data))

    comparison = compare_runs(load_run(a), load_run(b), 0.10)
    # The golden run against itself already leaves out the cells flagged in it.
    already = set(compare_runs(golden_run, golden_run, 0.10).not_compared)
    assert sorted(set(comparison.not_compared) - already) == [
        "background_async, sleep 5 ms at 100 req/s, with a probe: flagged in both "
        "(interference (9% of the server core stolen))",
        f"none, no background work at 200 req/s, with a probe: not in {golden_run.run_id}",
        "none, no background work at 50 req/s, no probe: trusted in B, but in A failed: "
        "target app did not start",
    ]
    assert not comparison.regressed
    assert not comparison.inconclusive  # the rest compared, and nothing changed
    compared = {c.cell for c in comparison.changes}
    assert not compared & {line.split(":")[0] for line in comparison.not_compared}
    rendered = render_comparison(comparison).split("not compared:\n", 1)[1]
    assert all(f"  {line}\n" in rendered for line in comparison.not_compared)
