"""The `bgbench` command's own checks: what it refuses where the user typed it, before any
cell runs, each in one line with exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from bgbench import cli

SMOKE = str(Path(__file__).resolve().parents[2] / "sweeps" / "smoke.toml")


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    try:
        code = cli.main(list(argv))
    except SystemExit as exit_:  # argparse's own refusals
        code = int(exit_.code or 0)
    captured = capsys.readouterr()
    return code, captured.err + captured.out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "--version")
    assert code == 0
    assert out.startswith("bgbench ")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("-3", "must be at least 1 and at most 64"),
        ("0", "must be at least 1 and at most 64"),
        ("many", "not a whole number"),
    ],
)
def test_load_workers_out_of_range_is_refused(
    capsys: pytest.CaptureFixture[str], value: str, why: str
) -> None:
    code, out = _run(capsys, "sweep", SMOKE, "--load-workers", value)
    assert code == 2
    assert (
        f"argument --load-workers: {value!r}" in out or f"argument --load-workers: {value}" in out
    )
    assert why in out


@pytest.mark.parametrize(
    ("option", "value", "why"),
    [
        ("--load-master-bind", "0.0.0.0", "would listen on every interface"),
        ("--load-master-bind", "load.example", "is not an IP address"),
        ("--load-master-port", "80", "must be at least 1024 and at most 65535"),
        ("--remote-load-workers", "65", "must be at least 0 and at most 64"),
    ],
)
def test_remote_load_options_are_checked_as_the_sweep_file_is(
    capsys: pytest.CaptureFixture[str], option: str, value: str, why: str
) -> None:
    code, out = _run(capsys, "sweep", SMOKE, option, value, "--dry-run")
    assert code == 2
    assert f"argument {option}: {value} {why}" in out


def test_remote_workers_and_local_processes_are_not_mixed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    argv = ("sweep", SMOKE, "--dry-run", "--remote-load-workers", "2", "--load-workers", "2")
    code, out = _run(capsys, *argv)
    assert code == 2
    assert out.strip() == (
        "bgbench sweep: the command line: load_workers = 2 with remote_load_workers = 2: a "
        "cell's load is local processes or remote workers, not both"
    )


def test_results_that_cannot_be_written_stop_the_sweep_before_it_starts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    a_file = tmp_path / "results"
    a_file.write_text("not a folder")
    code, out = _run(capsys, "sweep", SMOKE, "--out", str(a_file), "--no-report")
    assert code == 2
    assert out.strip() == (
        f"bgbench sweep: {a_file}: a file, not a folder; pick another --out: a folder you "
        f"can write to, with free space"
    )
    code, out = _run(capsys, "sweep", SMOKE, "--out", "/proc/bgbench-results", "--no-report")
    assert code == 2
    assert "cannot write results" in out
    assert list(tmp_path.iterdir()) == [a_file]  # nothing written anywhere


def test_help_shows_the_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _run(capsys, "sweep", "--help")
    assert code == 0
    assert "(default: results)" in out
    assert "(default: sweeps/quick.toml)" in out
