"""CPU used on the cell's cores by processes that are not the cell's own, and steal.

/proc/stat says how busy each CPU was; psutil says how much CPU the cell's own processes (the
app's and Locust's process trees, and the sweep process itself) used. What is left is someone
else's work competing with the cell: its numbers are then the machine's, not the strategy's.

The cell's processes are pinned, so their time is attributed by group, not by CPU: the server
trees' time to the server CPUs, the load generator trees' and the sweep process's to the load
generator CPUs. When the two groups share CPUs (one CPU, or no pinning) they are one group, and
all the cell's time is attributed to it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

USER_HZ = os.sysconf("SC_CLK_TCK")
PROC_STAT = Path("/proc/stat")

# A process is keyed by pid and start time, so a reused pid is not taken for the old process.
ProcessKey = tuple[int, float]
ProcessTimes = dict[ProcessKey, float]


@dataclass(frozen=True)
class CpuJiffies:
    """One CPU's counters from /proc/stat, cumulative since boot, in jiffies (1/USER_HZ s)."""

    # user + nice + system. irq and softirq are left out on purpose: loopback networking of
    # the cell's own traffic is accounted there (a fast cell shows 10-30% softirq on its
    # cores), to no process, so counting it as foreign would flag healthy fast cells.
    busy: int
    steal: int
    # Everything the CPU did or did not do: the denominator. guest and guest_nice are not
    # added: the kernel already counts them in user and nice.
    total: int


def parse_proc_stat(text: str) -> dict[int, CpuJiffies]:
    """The per-CPU lines ("cpu0 ...") of /proc/stat; the aggregate "cpu" line is skipped."""
    cpus: dict[int, CpuJiffies] = {}
    for line in text.splitlines():
        name, _, rest = line.partition(" ")
        if not name.startswith("cpu") or not name[3:].isdigit():
            continue
        # Older kernels have fewer columns; the missing ones did not exist, so count 0.
        values = [int(v) for v in rest.split()] + [0] * 10
        user, nice, system, idle, iowait, irq, softirq, steal = values[:8]
        cpus[int(name[3:])] = CpuJiffies(
            busy=user + nice + system,
            steal=steal,
            total=user + nice + system + idle + iowait + irq + softirq + steal,
        )
    return cpus


def read_proc_stat(path: Path = PROC_STAT) -> dict[int, CpuJiffies] | None:
    try:
        cpus = parse_proc_stat(path.read_text())
    except (OSError, ValueError):
        return None
    return cpus or None


def foreign_and_steal(
    before: dict[int, CpuJiffies],
    after: dict[int, CpuJiffies],
    cpus: Iterable[int],
    own_seconds: float,
    hz: int = USER_HZ,
) -> tuple[float, float] | None:
    """(foreign, steal) on those CPUs between two readings, each in percent of one core
    averaged over the CPUs: 100 means every one of them was fully used by others."""
    busy = steal = total = 0
    for cpu in cpus:
        if cpu in before and cpu in after:
            busy += after[cpu].busy - before[cpu].busy
            steal += after[cpu].steal - before[cpu].steal
            total += after[cpu].total - before[cpu].total
    if total <= 0:
        return None
    # Clamped at 0: own time is read a moment apart from /proc/stat and rounded differently.
    foreign = max(0.0, 100.0 * (busy / hz - own_seconds) / (total / hz))
    return foreign, 100.0 * steal / total


@dataclass(frozen=True)
class Walk:
    """CPU seconds so far of each process of the cell, by group; a process counts once."""

    server: ProcessTimes = field(default_factory=dict)
    loadgen: ProcessTimes = field(default_factory=dict)
    # The sweep process itself (all its threads, not its children: those are the trees).
    own: ProcessTimes = field(default_factory=dict)
    # The queue worker's tree: part of the server's, and read apart for its own memory.
    worker: ProcessTimes = field(default_factory=dict)


def walk(
    server_pids: Collection[int],
    loadgen_pids: Collection[int],
    own_pid: int | None = None,
    worker_pids: Collection[int] = (),
) -> Walk:
    """One pass over all processes (the one psutil would make per tree to find children),
    then the queue worker's trees, the server trees (which include the worker's), the load
    generator trees and own_pid alone, in that order."""
    children: dict[int, list[int]] = {}
    times: dict[int, tuple[float, float]] = {}
    for process in psutil.process_iter(["ppid", "cpu_times", "create_time"]):
        info = process.info
        if info["ppid"] is not None:
            children.setdefault(info["ppid"], []).append(process.pid)
        if info["cpu_times"] is not None and info["create_time"] is not None:
            cpu = info["cpu_times"]
            times[process.pid] = (info["create_time"], cpu.user + cpu.system)
    seen: set[int] = set()

    def collect(roots: Iterable[int], recursive: bool) -> ProcessTimes:
        found: ProcessTimes = {}
        stack = list(roots)
        while stack:
            pid = stack.pop()
            if pid in seen:
                continue
            seen.add(pid)
            if pid in times:
                created, seconds = times[pid]
                found[(pid, created)] = seconds
            if recursive:
                stack += children.get(pid, [])
        return found

    worker = collect(worker_pids, recursive=True)
    server = {**worker, **collect(server_pids, recursive=True)}
    loadgen = collect(loadgen_pids, recursive=True)
    own = collect([] if own_pid is None else [own_pid], recursive=False)
    return Walk(server, loadgen, own, worker)


def own_seconds(before: ProcessTimes, after: ProcessTimes) -> float:
    """CPU seconds the processes used between two walks. A process first seen in the later
    walk counts with all its time: it started since (Locust starts after the sampler's first
    reading, and importing it is a second of CPU). One that ended in between loses its last
    moments, which then count as foreign: rare, at the end of a cell."""
    return sum(max(0.0, seconds - before.get(key, 0.0)) for key, seconds in after.items())


@dataclass(frozen=True)
class Interference:
    server_foreign_percent: float
    loadgen_foreign_percent: float
    server_steal_percent: float
    loadgen_steal_percent: float


class InterferenceMeter:
    """Foreign CPU and steal on the server's and on the load generator's CPUs between two
    readings. CPUs None means every CPU of the machine."""

    def __init__(
        self,
        server_cpus: Sequence[int] | None,
        loadgen_cpus: Sequence[int] | None,
        server_pids: Callable[[], list[int]] = list,
        loadgen_pids: Callable[[], list[int]] = list,
        *,
        own_pid: int | None = None,
        read_stat: Callable[[], dict[int, CpuJiffies] | None] = read_proc_stat,
        hz: int = USER_HZ,
    ) -> None:
        self._server_pids, self._loadgen_pids = server_pids, loadgen_pids
        self._own_pid = os.getpid() if own_pid is None else own_pid
        self._read_stat, self._hz = read_stat, hz
        server, loadgen = set(server_cpus or ()), set(loadgen_cpus or ())
        # Unpinned, the groups overlap (or are all CPUs): one group, and it has all own time.
        self._split = bool(server and loadgen) and not server & loadgen
        self._server_cpus, self._loadgen_cpus = (
            (sorted(server), sorted(loadgen)) if self._split else (sorted(server | loadgen), [])
        )
        self._last: tuple[dict[int, CpuJiffies], Walk] | None = None

    def read(self) -> Interference | None:
        return self.update(walk(self._server_pids(), self._loadgen_pids(), self._own_pid))

    def update(self, now: Walk) -> Interference | None:
        """Like read(), from a walk the caller already made (the sampler shares its own)."""
        stat = self._read_stat()
        if stat is None:
            self._last = None
            return None
        last, self._last = self._last, (stat, now)
        if last is None:
            return None
        before_stat, before = last
        server_own = own_seconds(before.server, now.server)
        loadgen_own = own_seconds(before.loadgen, now.loadgen) + own_seconds(before.own, now.own)
        if not self._split:
            every = self._server_cpus or sorted(stat)
            both = foreign_and_steal(before_stat, stat, every, server_own + loadgen_own, self._hz)
            if both is None:
                return None
            return Interference(both[0], both[0], both[1], both[1])
        server = foreign_and_steal(before_stat, stat, self._server_cpus, server_own, self._hz)
        loadgen = foreign_and_steal(before_stat, stat, self._loadgen_cpus, loadgen_own, self._hz)
        if server is None or loadgen is None:
            return None
        return Interference(server[0], loadgen[0], server[1], loadgen[1])


def measure_per_cpu(
    cpus: Sequence[int],
    own_cpus: Sequence[int],
    seconds: float,
    *,
    read_stat: Callable[[], dict[int, CpuJiffies] | None] = read_proc_stat,
    hz: int = USER_HZ,
) -> dict[int, tuple[float, float]] | None:
    """{cpu: (foreign, steal)} over `seconds`, where own is this process and its children,
    their time spread evenly over own_cpus (the CPUs this process may run on)."""
    pid = os.getpid()
    before_stat, before = read_stat(), walk([pid], [])
    time.sleep(seconds)
    after_stat, after = read_stat(), walk([pid], [])
    if before_stat is None or after_stat is None:
        return None
    own_cpus = [c for c in own_cpus if c in cpus] or list(cpus)
    share = own_seconds(before.server, after.server) / len(own_cpus)
    found: dict[int, tuple[float, float]] = {}
    for cpu in cpus:
        result = foreign_and_steal(
            before_stat, after_stat, [cpu], share if cpu in own_cpus else 0.0, hz
        )
        if result is not None:
            found[cpu] = result
    return found
