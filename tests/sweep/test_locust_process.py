"""The Locust command line of a cell: one process, local processes, or a master that binds
the address it was given and waits for remote workers."""

from __future__ import annotations

from pathlib import Path

from sweep.definition import CellSpec
from sweep.locust_process import EXPECT_WORKERS_WAIT_S, LocustProcess, command

HOST = "http://127.0.0.1:8000"


def _after(args: list[str], flag: str) -> str:
    return args[args.index(flag) + 1]


def test_one_process_is_neither_master_nor_processes(tmp_path: Path) -> None:
    args = command(CellSpec(), HOST, tmp_path)
    assert "--master" not in args
    assert "--processes" not in args
    assert _after(args, "--stop-timeout") == "5"


def test_local_processes_stay_local(tmp_path: Path) -> None:
    args = command(CellSpec(load_workers=3), HOST, tmp_path)
    assert _after(args, "--processes") == "3"
    assert "--master" not in args
    assert (_after(args, "--users"), _after(args, "--stop-timeout")) == ("3", "0")


def test_remote_workers_make_a_master_on_the_named_address(tmp_path: Path) -> None:
    spec = CellSpec(remote_load_workers=2, load_master_bind="10.213.0.2", load_master_port=6000)
    args = command(spec, "http://10.213.0.2:8000", tmp_path)
    assert "--master" in args
    assert "--processes" not in args
    assert _after(args, "--master-bind-host") == "10.213.0.2"
    assert _after(args, "--master-bind-port") == "6000"
    assert _after(args, "--expect-workers") == "2"
    assert _after(args, "--expect-workers-max-wait") == str(EXPECT_WORKERS_WAIT_S)
    # One user per worker: the rate is split over users, so each worker offers half.
    assert (_after(args, "--users"), _after(args, "--stop-timeout")) == ("2", "0")
    # The wait for the workers is inside the cell's bound, not on top of an unbounded one.
    local = LocustProcess(CellSpec(), HOST, tmp_path)
    remote = LocustProcess(spec, HOST, tmp_path)
    assert remote.timeout_s == local.timeout_s + EXPECT_WORKERS_WAIT_S
