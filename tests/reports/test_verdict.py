"""The verdict at the top of the report, from the golden run: a row per strategy with its
numbers against the `none` control, words that follow from them, and choices derived from
the rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from bgbench.results.model import Run
from reports import verdict
from reports.verdict import Row, SliceVerdict


@pytest.fixture(scope="module")
def verdicts(golden_run: Run) -> dict[str, SliceVerdict]:
    return {found.where: found for found in verdict.compute(golden_run)}


def _row(found: SliceVerdict, variant: str) -> Row:
    (row,) = [r for r in found.rows if r.variant == variant]
    return row


def test_every_slice_starts_with_its_control(verdicts: dict[str, SliceVerdict]) -> None:
    found = verdicts["sleep 200 ms at 100 req/s, with a probe"]
    assert found.rows[0].variant == "none"
    assert found.rows[0].verdict == "the control: no background work"
    assert _row(found, "background").p99_change is not None  # against that control


def test_a_backlog_that_grows_is_named_with_its_rate_and_theory(
    verdicts: dict[str, SliceVerdict],
) -> None:
    found = verdicts["sleep 200 ms at 50 req/s, no probe"]
    two = _row(found, "executor ×2")
    # 2 workers × (1 / 200 ms) = 10 tasks/s against 50 offered: 40 more each second.
    assert two.theory is not None
    assert two.theory.per_second == pytest.approx(10)
    assert two.verdict == "backlog grows without bound: 40 tasks/s (theory 40)"
    assert verdict.growth_cell(two) == "+40/s (theory 40)"
    assert _row(found, "executor ×16").verdict == "fine"
    assert any(line.startswith("executor ×2 cannot keep up at 50 req/s") for line in found.choose)
    assert "it needs more than 10 workers busy at once" in " ".join(found.choose)


def test_the_user_waits_and_stalls_everyone(verdicts: dict[str, SliceVerdict]) -> None:
    found = verdicts["sleep 5 ms at 100 req/s, with a probe"]
    blocking = _row(found, "background_blocking")
    assert blocking.probe_slower
    assert "stalls everyone: the probe's p90 +" in blocking.verdict
    assert "the user waits: +" in blocking.verdict
    inline = _row(verdicts["sleep 200 ms at 100 req/s, with a probe"], "inline")
    assert inline.verdict.startswith("the user waits: +201 ms at p50")


def test_untrusted_rows_show_what_was_measured_and_lead_to_no_choice(
    verdicts: dict[str, SliceVerdict],
) -> None:
    found = verdicts["sleep 200 ms at 100 req/s, with a probe"]
    blocking = _row(found, "background_blocking")
    assert not blocking.trusted
    assert blocking.verdict.startswith("as measured, stalls everyone")
    assert blocking.verdict.endswith("(not trusted: saturated, dropped)")
    assert blocking.p99 is not None  # what it measured, shown beside the flag
    assert verdict.capacity_cell(blocking).startswith("theory")  # not "kept up"
    assert not any("background_blocking" in line for line in found.choose)
    # A failed cell measured nothing: it says why, in full.
    upload = _row(verdicts["upload 20 ms at 50 req/s, no probe"], "process_pool ×2")
    assert upload.verdict.startswith("not trusted: failed: target app exited during warm-up")


def test_the_choice_is_the_fine_strategy_with_the_lowest_p99(
    verdicts: dict[str, SliceVerdict],
) -> None:
    found = verdicts["sleep 200 ms at 100 req/s, with a probe"]
    fine = [r for r in found.rows if r.fine and r.variant not in ("none", "inline")]
    best = min(fine, key=lambda r: r.p99.value if r.p99 else 0)
    assert found.choose[0].startswith(f"At {found.where}, choose {best.variant}:")


def test_a_queue_is_chosen_when_work_must_survive_a_crash(
    verdicts: dict[str, SliceVerdict],
) -> None:
    found = verdicts["cpu 5 ms at 50 req/s, no probe"]
    assert _row(found, "queue ×1").on_crash.startswith("keeps queued work")
    assert _row(found, "executor ×1").on_crash.startswith("loses")
    # The queue has the lowest p99 here, so it is the choice outright: no second line for it.
    assert found.choose[0].startswith(f"At {found.where}, choose queue ×1")
    assert not any("survive a crash" in line for line in found.choose)


def test_the_report_opens_with_the_verdict(built_report: Path) -> None:
    markdown = (built_report.parent / "report.md").read_text()
    headings = [line for line in markdown.splitlines() if line.startswith("## ")]
    assert headings[0] == "## Verdict"
    assert "### sleep 200 ms at 50 req/s, no probe" in markdown
    html = built_report.read_text()
    assert html.index('<h2 id="verdict">') < html.index('<h2 id="findings">')
    assert "backlog grows without bound: 40 tasks/s (theory 40)" in html
