"""The target app as a child process: started on a loopback port, watched, stopped by pid.

Used by the sweep for every cell and by the tests for a real server.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx


class TargetError(RuntimeError):
    """The target app could not be started, or died."""


def _tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


class TargetProcess:
    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        log_path: Path | None = None,
        port: int = 0,
        cpus: Sequence[int] | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout_s: float = 30.0,
    ) -> None:
        self._workdir = Path(tempfile.mkdtemp(prefix="bgbench-target-"))
        self.log_path = log_path or self._workdir / "server.log"
        self.env = dict(env or {})
        self.requested_port = port
        self.cpus = list(cpus) if cpus else None
        self.extra_args = list(extra_args)
        self.startup_timeout_s = startup_timeout_s
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise TargetError("the target app is not running")
        return self.process.pid

    def start(self) -> TargetProcess:
        port_file = self._workdir / "port"
        port_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "target_app", "--port", str(self.requested_port)]
        command += ["--port-file", str(port_file), *self.extra_args]
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                # Its own process group: Ctrl-C in the terminal reaches the sweep alone, and
                # the sweep decides how the target stops.
                start_new_session=True,
            )
        if self.cpus:
            os.sched_setaffinity(self.process.pid, self.cpus)
        deadline = time.monotonic() + self.startup_timeout_s
        while not port_file.exists():
            self._check_alive("while starting")
            if time.monotonic() > deadline:
                self.kill()
                raise TargetError(
                    f"the target app did not bind a port in {self.startup_timeout_s} s"
                )
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        self._wait_healthy(deadline)
        return self

    def _check_alive(self, when: str) -> None:
        assert self.process is not None
        code = self.process.poll()
        if code is not None:
            log_tail = _tail(self.log_path)
            raise TargetError(
                f"the target app exited with code {code} {when}; its log ends:\n{log_tail}"
            )

    def _wait_healthy(self, deadline: float) -> None:
        with httpx.Client(timeout=1.0) as client:
            while True:
                self._check_alive("before answering /healthz")
                try:
                    if client.get(f"{self.url}/healthz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise TargetError(
                        f"the target app did not answer /healthz in {self.startup_timeout_s} s"
                    )
                time.sleep(0.05)

    @property
    def live_pid(self) -> int | None:
        return self.process.pid if self.alive() and self.process is not None else None

    @property
    def exit_code(self) -> int | None:
        return self.process.poll() if self.process is not None else None

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout_s: float = 60.0) -> int | None:
        """SIGTERM, then wait for the drain; SIGKILL if it outlives `timeout_s`. Returns the
        exit code (None if it had to be killed)."""
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                return self.process.wait(timeout_s)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        return self.process.returncode

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> TargetProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
