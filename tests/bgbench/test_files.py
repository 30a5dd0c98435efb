"""Files written whole or not at all, and nothing half-written left behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from bgbench.files import write_atomically


def test_a_file_is_written_whole(tmp_path: Path) -> None:
    write_atomically(tmp_path / "a" / "cell.json", "{}")
    assert (tmp_path / "a" / "cell.json").read_text() == "{}"
    assert [p.name for p in (tmp_path / "a").iterdir()] == ["cell.json"]


def test_a_failed_write_leaves_no_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "cell.json"
    target.mkdir()  # the rename onto a directory fails, as a write to a full disk would
    with pytest.raises(IsADirectoryError):
        write_atomically(target, "{}")
    assert [p.name for p in tmp_path.iterdir()] == ["cell.json"]


def test_a_run_stopped_by_a_write_failure_finishes_partial_and_says_why(tmp_path: Path) -> None:
    import json

    from bgbench.results import writer
    from bgbench.results.model import ManifestCell

    manifest = writer.Manifest(tmp_path, {"run_id": "r"})
    manifest.add_cell(ManifestCell("000-x", "ok", None))
    assert manifest.finish(False, "cannot write results in r: No space left on device") == (
        "partial"
    )
    data = json.loads((tmp_path / "manifest.json").read_text())
    assert data["status"] == "partial"
    assert data["finished_at"] is not None
    assert data["stopped"] == "cannot write results in r: No space left on device"
