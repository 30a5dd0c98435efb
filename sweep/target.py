"""The target app as a child process: started on a loopback port (or the one address the
sweep was told to bind), watched, stopped by pid.

Used by the sweep for every cell and by the tests for a real server.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType

import httpx

from sweep.child import Child


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
        host: str = "127.0.0.1",
        cpus: Sequence[int] | None = None,
        extra_args: Sequence[str] = (),
        startup_timeout_s: float = 30.0,
    ) -> None:
        self._workdir = Path(tempfile.mkdtemp(prefix="bgbench-target-"))
        self.env = dict(env or {})
        self.requested_port = port
        self.host = host
        self.extra_args = list(extra_args)
        self.startup_timeout_s = startup_timeout_s
        self.port = 0
        self.child = Child(log_path or self._workdir / "server.log", cpus=cpus)

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.child.log_path

    @property
    def process(self) -> subprocess.Popen[bytes] | None:
        return self.child.process

    @property
    def pid(self) -> int:
        if self.child.pid is None:
            raise TargetError("the target app is not running")
        return self.child.pid

    @property
    def live_pid(self) -> int | None:
        return self.child.pid if self.child.alive() else None

    @property
    def exit_code(self) -> int | None:
        return self.child.exit_code

    def alive(self) -> bool:
        return self.child.alive()

    def start(self) -> TargetProcess:
        port_file = self._workdir / "port"
        port_file.unlink(missing_ok=True)
        command = [sys.executable, "-m", "target_app", "--port", str(self.requested_port)]
        command += ["--host", self.host]
        command += ["--port-file", str(port_file), *self.extra_args]
        self.child.spawn(command, self.env)
        deadline = time.monotonic() + self.startup_timeout_s
        while not port_file.exists():
            self._check_alive("while starting")
            if time.monotonic() > deadline:
                self.child.kill()
                raise TargetError(
                    f"the target app did not bind a port in {self.startup_timeout_s} s"
                )
            time.sleep(0.02)
        self.port = int(port_file.read_text())
        self._wait_healthy(deadline)
        return self

    def _check_alive(self, when: str) -> None:
        code = self.child.exit_code
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
                    self.child.kill()
                    raise TargetError(
                        f"the target app did not answer /healthz in {self.startup_timeout_s} s"
                    )
                time.sleep(0.05)

    def stop(self, timeout_s: float = 60.0) -> int | None:
        """SIGTERM, then wait for the drain; SIGKILL (with its pool processes) if it outlives
        `timeout_s`. Returns the exit code (None if it had to be killed)."""
        return self.child.stop(timeout_s)

    def kill(self) -> None:
        self.child.kill()

    def __enter__(self) -> TargetProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
