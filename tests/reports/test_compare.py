"""Comparing runs: a run against itself changes nothing significantly; a slower copy fails
with the regression named; runs of different schema versions are refused."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import pytest

from bgbench.results.model import Run
from bgbench.results.names import SCHEMA_VERSION
from bgbench.results.reader import load_run
from reports.commands import add_compare_arguments, run_compare, threshold
from reports.compare import compare_runs
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
    assert "2 significant regressions beyond 10%:" in out
    assert "  background, sleep 200 ms at 100 req/s, with a probe: p99 latency +50%" in out


def test_the_regression_numbers(golden_run: Run) -> None:
    comparison = compare_runs(golden_run, load_run(SLOWER_RUN), 0.10)
    (p99, corrected) = comparison.failing()
    # Per-second p99 of background at 100 req/s: 4100 µs pooled (levels 4000 and 4200),
    # and 1.5 × that in the slower copy: 6150 / 4100 − 1 = 0.5.
    assert p99.before == pytest.approx(4100)
    assert p99.after == pytest.approx(6150)
    assert p99.change.estimate == pytest.approx(0.5)
    assert p99.change.low > 0.10
    assert corrected.metric.column == "p99_corrected_us"
    # Everything else is the same data: nothing else is even significant.
    others = [c for c in comparison.changes if c not in (p99, corrected)]
    assert not [c for c in others if c.change.significant]


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


def test_achieved_rate_leaves_out_the_drain(golden_run: Run) -> None:
    comparison = compare_runs(golden_run, golden_run, 0.10)
    none = next(
        c
        for c in comparison.changes
        if c.metric.column == "achieved_rps"
        and c.cell.startswith("none, no background work at 100")
    )
    # 10 loaded seconds at 100 + 0.5 × PATTERN (mean 100); the drain second's 0 left out.
    assert none.before == pytest.approx(100)


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
