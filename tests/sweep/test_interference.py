from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import astuple
from pathlib import Path

import pytest

from sweep.interference import (
    CpuJiffies,
    Interference,
    InterferenceMeter,
    Walk,
    foreign_and_steal,
    measure_per_cpu,
    own_seconds,
    parse_proc_stat,
    read_proc_stat,
    walk,
)

STAT = """\
cpu  300 10 60 1000 5 2 30 7 40 0
cpu0 100 0 20 500 2 1 20 3 40 0
cpu1 200 10 40 500 3 1 10 4 0 0
intr 12345 0 0
ctxt 999
btime 1700000000
cpu2 1 2 3 4
"""


def jiffies(busy: int, steal: int, total: int) -> CpuJiffies:
    return CpuJiffies(busy=busy, steal=steal, total=total)


def test_parse_proc_stat_reads_per_cpu_lines_only() -> None:
    cpus = parse_proc_stat(STAT)
    assert sorted(cpus) == [0, 1, 2]  # the aggregate "cpu" line is not a CPU
    # busy is user + nice + system: irq and softirq are not in it, and guest (40) is already
    # inside user, so it is in neither busy nor total a second time.
    assert cpus[0] == CpuJiffies(busy=120, steal=3, total=100 + 20 + 500 + 2 + 1 + 20 + 3)
    assert cpus[1] == CpuJiffies(busy=250, steal=4, total=250 + 500 + 3 + 1 + 10 + 4)
    # An old kernel's short line: the missing columns count 0.
    assert cpus[2] == CpuJiffies(busy=6, steal=0, total=10)


def test_read_proc_stat_from_a_path(tmp_path: Path) -> None:
    path = tmp_path / "stat"
    path.write_text(STAT)
    assert read_proc_stat(path) == parse_proc_stat(STAT)
    assert read_proc_stat(tmp_path / "missing") is None
    path.write_text("intr 1 2\n")
    assert read_proc_stat(path) is None


def test_read_proc_stat_on_this_machine() -> None:
    cpus = read_proc_stat()
    if cpus is None:
        pytest.skip("no /proc/stat: not Linux")
    assert len(cpus) >= 1
    assert all(c.total >= c.busy + c.steal for c in cpus.values())


def test_foreign_is_busy_minus_own_in_percent_of_a_core() -> None:
    before = {0: jiffies(0, 0, 0), 1: jiffies(0, 0, 0)}
    after = {0: jiffies(80, 5, 100), 1: jiffies(30, 0, 100)}  # 1 s each at 100 Hz
    # CPU 0: 0.8 s busy, 0.3 s of it the cell's own -> 50% foreign, 5% steal.
    assert foreign_and_steal(before, after, [0], 0.3, hz=100) == pytest.approx((50.0, 5.0))
    # Averaged over both CPUs: (0.8 + 0.3 - 0.5) s of 2 s, steal 5 of 200 jiffies.
    assert foreign_and_steal(before, after, [0, 1], 0.5, hz=100) == pytest.approx((30.0, 2.5))
    # Own more than busy (read a moment apart, rounded differently): clamped at 0.
    assert foreign_and_steal(before, after, [1], 0.4, hz=100) == pytest.approx((0.0, 0.0))
    # Nothing elapsed, or a CPU that is not there: no answer rather than a division by 0.
    assert foreign_and_steal(after, after, [0], 0.0, hz=100) is None
    assert foreign_and_steal(before, after, [7], 0.0, hz=100) is None


def test_own_seconds_counts_new_processes_whole_and_ignores_gone_ones() -> None:
    before = {(1, 10.0): 2.0, (2, 10.0): 5.0, (3, 10.0): 1.0}
    after = {
        (1, 10.0): 2.5,  # used 0.5 s
        (3, 10.0): 0.5,  # a counter never goes back; if it seems to, 0
        (2, 99.0): 0.25,  # pid 2 reused by a new process: all its time is new
        (4, 12.0): 1.0,  # first seen: started since, all of it counts
    }
    assert own_seconds(before, after) == pytest.approx(0.5 + 0.25 + 1.0)


class FakeStat:
    """Readings of /proc/stat handed out one after another."""

    def __init__(self, *readings: dict[int, CpuJiffies] | None) -> None:
        self.readings: Iterator[dict[int, CpuJiffies] | None] = iter(readings)

    def __call__(self) -> dict[int, CpuJiffies] | None:
        return next(self.readings)


def two_cpus(busy0: int, busy1: int, steal0: int = 0, steal1: int = 0) -> dict[int, CpuJiffies]:
    """One second (100 jiffies at 100 Hz) after an all-zero reading."""
    return {0: jiffies(busy0, steal0, 100), 1: jiffies(busy1, steal1, 100)}


ZERO = {0: jiffies(0, 0, 0), 1: jiffies(0, 0, 0)}


def test_meter_attributes_own_time_by_group() -> None:
    stat = FakeStat(ZERO, two_cpus(90, 60, steal0=4), None, ZERO)
    meter = InterferenceMeter([0], [1], read_stat=stat, hz=100)
    assert meter.update(Walk()) is None  # the first reading is the baseline
    now = Walk(
        server={(10, 1.0): 0.6},  # the app used 0.6 s: on CPU 0
        loadgen={(20, 1.0): 0.4},  # Locust 0.4 s ...
        own={(30, 1.0): 0.1},  # ... and the sweep 0.1 s: on CPU 1
    )
    result = meter.update(now)
    assert result is not None
    # 0.9 - 0.6 s on CPU 0 of 1 s; 0.6 - 0.4 - 0.1 s on CPU 1; steal 4 of 100 on CPU 0.
    assert astuple(result) == pytest.approx((30.0, 10.0, 4.0, 0.0))
    # /proc/stat unreadable: no answer, and the next reading is a new baseline.
    assert meter.update(now) is None
    assert meter.update(now) is None


@pytest.mark.parametrize(
    ("server_cpus", "loadgen_cpus", "expected"),
    [
        # All CPUs: (0.9 + 0.6) s busy - (0.5 + 0.3 + 0.2) s own, of 2 s; steal 2 of 200.
        (None, None, Interference(25.0, 25.0, 1.0, 1.0)),
        ([0, 1], [1], Interference(25.0, 25.0, 1.0, 1.0)),  # overlapping groups: their union
        # One CPU: 0.6 s busy - 1.0 s own, clamped; steal 2 of 100.
        ([1], [1], Interference(0.0, 0.0, 2.0, 2.0)),
    ],
)
def test_meter_unpinned_is_one_group_with_all_own_time(
    server_cpus: list[int] | None, loadgen_cpus: list[int] | None, expected: Interference
) -> None:
    stat = FakeStat(ZERO, two_cpus(90, 60, steal1=2))
    meter = InterferenceMeter(server_cpus, loadgen_cpus, read_stat=stat, hz=100)
    meter.update(Walk())
    now = Walk(server={(10, 1.0): 0.5}, loadgen={(20, 1.0): 0.3}, own={(30, 1.0): 0.2})
    assert meter.update(now) == expected


def test_walk_finds_descendants_and_counts_each_process_once() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        me = os.getpid()
        found = walk([me], [me, child.pid], me)
        assert {pid for pid, _ in found.server} >= {me, child.pid}  # the child is a descendant
        assert found.loadgen == {}  # already the server's
        assert found.own == {}
        alone = walk([], [child.pid], me)
        assert {pid for pid, _ in alone.loadgen} == {child.pid}
        assert {pid for pid, _ in alone.own} == {me}  # the sweep process, not its children
        assert walk([2**22 + 12345], [], None) == Walk()  # no such process: nothing, no error
    finally:
        child.kill()
        child.wait()


def test_walk_reads_the_queue_workers_tree_apart_and_as_the_servers() -> None:
    worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        me = os.getpid()
        found = walk([me, worker.pid], [], None, [worker.pid])
        assert {pid for pid, _ in found.worker} == {worker.pid}
        assert {pid for pid, _ in found.server} >= {me, worker.pid}  # still the server's
        assert walk([me], [], None).worker == {}  # no worker named: none read
    finally:
        worker.kill()
        worker.wait()


def test_measure_per_cpu_subtracts_own_time_from_own_cpus() -> None:
    stat = FakeStat(ZERO, two_cpus(50, 20, steal1=3))
    found = measure_per_cpu([0, 1], [1], 0.05, read_stat=stat, hz=100)
    assert found is not None
    # CPU 0 is not this process's: nothing is subtracted there.
    assert found[0] == pytest.approx((50.0, 0.0), abs=1e-9)
    # On CPU 1 this process's own time in the window is subtracted: it sleeps, but pytest's
    # other threads (timeouts, a previous test's leftovers) may run a little on a busy
    # machine. Own time can only be taken away, never added.
    assert 20.0 - 5.0 <= found[1][0] <= 20.0
    assert found[1][1] == pytest.approx(3.0)
    assert measure_per_cpu([0], [0], 0.0, read_stat=FakeStat(None, None)) is None


# --- real measurements: CPU 0 (the first usable CPU) is the server's, the next the loadgen's


def first_two_cpus() -> tuple[int, int]:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip(
            "needs 2 CPUs: a busy loop pinned to the server's CPU must not be the CPU the "
            "meter and this test run on"
        )
    return cpus[0], cpus[1]


def measure(meters: list[InterferenceMeter], during: Callable[[], None]) -> list[Interference]:
    for meter in meters:
        meter.read()
    during()
    results = [meter.read() for meter in meters]
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def test_a_foreign_busy_loop_on_the_server_cpu_is_seen() -> None:
    server, loadgen = first_two_cpus()
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        os.sched_setaffinity(hog.pid, {server})
        time.sleep(0.2)
        # The cell's own: nothing on the server's CPU; this test process on the loadgen's.
        meter = InterferenceMeter([server], [loadgen])
        (result,) = measure([meter], lambda: time.sleep(2.0))
    finally:
        os.kill(hog.pid, 9)
        hog.wait()
    # A pinned busy loop keeps its CPU busy whenever it can run, and anything else running
    # there is foreign too: load cannot push this down, only irq/softirq time could.
    assert result.server_foreign_percent > 50.0, result


def test_own_burning_on_the_server_cpu_is_not_foreign() -> None:
    server, loadgen = first_two_cpus()
    me = os.getpid()
    # The same interval, measured twice: with this process as the server's own, and with it
    # as the sweep process (attributed to the loadgen CPUs, so the server's CPU is foreign).
    as_server = InterferenceMeter([server], [loadgen], server_pids=lambda: [me])
    elsewhere = InterferenceMeter([server], [loadgen])
    used: list[float] = []

    def burn() -> None:
        previous = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {server})
        try:
            start, cpu = time.monotonic(), time.thread_time()
            while time.monotonic() - start < 2.0:
                pass
            used.append(100.0 * (time.thread_time() - cpu) / (time.monotonic() - start))
        finally:
            os.sched_setaffinity(0, previous)

    with_own, without = measure([as_server, elsewhere], burn)
    own = used[0]
    # Even on a busy machine this test gets a good share of its CPU.
    assert own > 10.0, used
    # What is left for others is at most the rest of the core: on a quiet machine (own ~95%)
    # that is ~5%, and load raises both sides of this together.
    assert with_own.server_foreign_percent <= 100.0 - own + 10.0, (with_own, own)
    # And the difference between the two is this test's own burning.
    difference = without.server_foreign_percent - with_own.server_foreign_percent
    assert 0.7 * own - 5.0 < difference < 1.3 * own + 5.0, (with_own, without, own)
