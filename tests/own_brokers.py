"""Brokers of a test's own, on free loopback ports with their data in the test's directory, so
that a test may restart or kill them with work queued without touching the machine's own.

Each is stopped by its pid when the test ends (the `own_broker` fixture of
tests/target_app/conftest.py); one whose program is not installed is a skip that says so, and
a failure under CI.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from abc import ABC, abstractmethod
from pathlib import Path

from tests.conftest import unavailable

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"it exited with code {process.returncode}; see {log}") from None
            if time.monotonic() > deadline:
                raise RuntimeError(f"port {port} closed after {START_TIMEOUT_S:g} s") from None
            time.sleep(0.05)


class OwnBroker(ABC):
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.log = directory / "broker.log"
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    @abstractmethod
    def url(self) -> str: ...

    @abstractmethod
    def start(self) -> OwnBroker: ...

    @abstractmethod
    def stop(self) -> None:
        """A clean stop, then SIGKILL if it lingers; nothing of it left running."""

    @abstractmethod
    def crash(self) -> None:
        """Gone at once, as a SIGKILL or a power cut leaves it."""

    def restart(self) -> None:
        self.stop()
        self.start()

    def crash_and_start(self) -> None:
        self.crash()
        self.start()

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        with self.log.open("ab") as log:
            return subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def _end(self, signum: signal.Signals) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signum)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(10)
        self.process = None


class OwnRedis(OwnBroker):
    """`durable`: AOF with an fsync per write, so a restart keeps every acknowledged write;
    otherwise no persistence at all (save "", appendonly no), as this machine's Redis runs:
    it starts empty after any restart."""

    def __init__(self, directory: Path, *, durable: bool) -> None:
        super().__init__(directory)
        self.durable = durable

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> OwnRedis:
        program = shutil.which("redis-server")
        if program is None:
            unavailable("needs redis-server (Debian: apt install redis-server)")
        command = [program, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        command += ["--dir", str(self.directory), "--daemonize", "no"]
        command += ["--appendonly", "yes", "--appendfsync", "always"] if self.durable else []
        self.process = self._spawn(command)
        wait_for_port(self.port, self.process, self.log)
        return self

    def stop(self) -> None:
        self._end(signal.SIGTERM)  # Redis's own clean shutdown: the AOF is flushed

    def crash(self) -> None:
        self._end(signal.SIGKILL)
