"""The committed golden runs are exactly what make_golden.py writes: regenerate and compare."""

from __future__ import annotations

from pathlib import Path

from tests.reports import make_golden


def test_golden_files_are_reproducible(tmp_path: Path) -> None:
    make_golden.write_all(tmp_path)
    for run_id in (make_golden.RUN_ID, make_golden.SLOWER_RUN_ID):
        written = sorted(p.relative_to(tmp_path) for p in (tmp_path / run_id).rglob("*"))
        committed = sorted(
            p.relative_to(make_golden.GOLDEN) for p in (make_golden.GOLDEN / run_id).rglob("*")
        )
        assert written == committed
        for relative in written:
            if (tmp_path / relative).is_file():
                assert (tmp_path / relative).read_bytes() == (
                    make_golden.GOLDEN / relative
                ).read_bytes(), relative
