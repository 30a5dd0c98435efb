"""The server's resident memory and open file descriptors, summed over its process tree,
once a second: memory or descriptors that grow without levelling off are a leak a short cell
never shows (a soak shows it; `bgbench.trust` flags it).

Only the processes the sampler's walk already found are read (the app and its pool or queue
workers): this runs on the load generator's core every second, so it must not walk the
system again. Per process that is /proc/<pid>/statm and a listing of /proc/<pid>/fd.

RSS is summed, so pages a forked worker shares with its parent count twice: the sum is an
upper bound on the tree's memory, steady when nothing grows, which is what the flag reads.
(PSS would not double-count, but reading smaps costs milliseconds per process.)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import psutil

MIB = 2**20


@dataclass(frozen=True, slots=True)
class TreeResources:
    rss_bytes: int
    open_fds: int
    processes: int  # of the tree's, the ones that could be read

    @property
    def rss_mib(self) -> float:
        return self.rss_bytes / MIB


def measure(pids: Iterable[int]) -> TreeResources | None:
    """The processes' RSS and open descriptors summed; None if none could be read. A process
    that ended (a pool worker replaced) or cannot be read is left out of the sum."""
    rss = fds = read = 0
    for pid in pids:
        try:
            process = psutil.Process(pid)
            with process.oneshot():
                rss += process.memory_info().rss
                fds += process.num_fds()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        read += 1
    return TreeResources(rss, fds, read) if read else None
