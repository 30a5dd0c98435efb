"""A process the sweep starts: its output in a log file, a session of its own, optionally
pinned to CPUs, and stopped by pid — politely first, then with its whole process group."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

import psutil


class Child:
    def __init__(self, log_path: Path, *, cpus: Sequence[int] | None = None) -> None:
        self.log_path = log_path
        self.cpus = list(cpus) if cpus else None
        self.process: subprocess.Popen[bytes] | None = None

    def spawn(
        self,
        command: Sequence[str],
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
    ) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
                cwd=cwd,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # A session of its own: Ctrl-C in the terminal reaches the sweep alone, which
                # then stops each child the way that child needs.
                start_new_session=True,
            )
        if self.cpus:
            os.sched_setaffinity(self.process.pid, self.cpus)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def exit_code(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wait(self, timeout_s: float) -> int | None:
        """The exit code, or None if it is still running after `timeout_s`."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, timeout_s: float) -> int | None:
        """SIGTERM and wait; SIGKILL if it outlives `timeout_s`. The exit code, or None if
        it had to be killed. Either way, whatever it left running in its process group (pool
        workers, a resource tracker) is killed too."""
        if self.process is None:
            return None
        code: int | None = self.process.poll()
        if code is None:
            self.process.send_signal(signal.SIGTERM)
            code = self.wait(timeout_s)
        self.kill()
        return code

    def kill(self) -> None:
        """SIGKILL to its whole process group, pool processes and workers with it, the leader
        alive or not: one killed with -9 (or crashed) leaves its children running,
        re-parented to PID 1 but still in its group, which was this child's own session: its
        pid is the group's id for as long as any member lives."""
        if self.process is None:
            return
        # Descendants that made sessions of their own (RQ's work horses) are out of the
        # group: kill them by pid, while the leader still knows them.
        with contextlib.suppress(psutil.Error):
            for descendant in psutil.Process(self.process.pid).children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    descendant.kill()
        with contextlib.suppress(ProcessLookupError):  # no one left in the group
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
