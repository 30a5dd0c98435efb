"""Brokers of a test's own, on free loopback ports with their data in the test's directory, so
that a test may restart or kill them with work queued without touching the machine's own.

Each is stopped by its pid when the test ends (the `own_broker` fixture of
tests/target_app/conftest.py); one whose program is not installed is a skip that says so, and
a failure under CI.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from pathlib import Path

import psutil

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

    def remove(self) -> None:
        """Stopped, and nothing of it left outside the test's directory."""
        self.stop()

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

    def _stop_then_crash(self, signum: signal.Signals) -> None:
        """Its own clean stop by `signum`; then crash() for whatever outlived 30 s of it."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(30)
        self.crash()

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


def _kill_tree(process: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """SIGKILL to a process and every descendant, by pid: RabbitMQ's helpers and each
    PostgreSQL backend make sessions of their own, which a group kill would miss. Those it
    killed, for the caller to wait on."""
    descendants: list[psutil.Process] = []
    with contextlib.suppress(psutil.Error):
        descendants = psutil.Process(process.pid).children(recursive=True)
    for descendant in descendants:
        with contextlib.suppress(psutil.Error):
            descendant.kill()
    with contextlib.suppress(ProcessLookupError):
        process.kill()
    process.wait()
    return descendants


def _gone(processes: list[psutil.Process], timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        alive = []
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess):
                if process.status() != psutil.STATUS_ZOMBIE:
                    alive.append(process.pid)
        if not alive:
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"processes outlived SIGKILL: {alive}")
        time.sleep(0.01)


class OwnRabbitMQ(OwnBroker):
    """A node of its own (name, ports, data, config, plugins, log and Erlang cookie in the
    test's directory), run as the current user: /usr/sbin/rabbitmq-server would `su` to the
    rabbitmq user, whose HOME holds the machine's cookie. Its queues are durable and its
    messages persistent as each library declares them, so a SIGKILL keeps them too."""

    SERVER = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.dist_port = free_port()
        self.nodename = f"bgbench-{secrets.token_hex(4)}@localhost"
        for sub in ("mnesia", "log"):
            (directory / sub).mkdir(exist_ok=True)
        cookie = directory / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16).upper())
        cookie.chmod(0o400)  # Erlang refuses a cookie others may read
        (directory / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's NODENAME
        (directory / "enabled_plugins").write_text("[].\n")
        (directory / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = 127.0.0.1:{self.port}\nlog.console = false\n"
        )

    @property
    def url(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}"

    def _env(self) -> dict[str, str]:
        base = self.directory
        return {
            **os.environ,
            "HOME": str(base),  # where the node finds its cookie
            "RABBITMQ_NODENAME": self.nodename,
            "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),  # none
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
            "RABBITMQ_LOG_BASE": str(base / "log"),
            "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def start(self) -> OwnRabbitMQ:
        if not self.SERVER.exists():
            unavailable(f"needs {self.SERVER} (Debian: apt install rabbitmq-server)")
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(self.SERVER)],
                env=self._env(),
                cwd=self.directory,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not self._takes_work():
            if self.process.poll() is not None:
                raise RuntimeError(f"rabbitmq-server exited; see {self.directory / 'log'}")
            if time.monotonic() > deadline:
                self.crash()
                raise RuntimeError(f"RabbitMQ not ready in {START_TIMEOUT_S:g} s")
            time.sleep(0.1)
        return self

    def _takes_work(self) -> bool:
        """An AMQP connection and a channel open (the port opens before the broker is up)."""
        import amqp

        try:
            connection = amqp.Connection(
                f"127.0.0.1:{self.port}",
                userid="guest",
                password="guest",
                connect_timeout=2,
            )
            connection.connect()
            try:
                connection.channel()
            finally:
                connection.close()
        except (OSError, amqp.exceptions.AMQPError):
            return False
        return True

    def stop(self) -> None:
        # SIGTERM to the wrapper, which hands it to the node: the clean stop `rabbitmqctl
        # stop` makes (listeners, connections, then the message stores), without its CLI;
        # SIGKILL to all of it if it lingers.
        self._stop_then_crash(signal.SIGTERM)

    def crash(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _gone(_kill_tree(self.process))
        self.process = None


class OwnPostgres(OwnBroker):
    """A cluster of its own (initdb, trust authentication) on a port of its own, with a
    database `test` and a superuser named after the OS user, so that a URL without a user
    works as against the machine's server. PostgreSQL refuses to run as root: as root it runs
    as the `postgres` user, in a directory under the system's temp dir (pytest's are root's
    only), removed at its stop."""

    SERVER_USER = "postgres"

    def __init__(self, directory: Path) -> None:
        super().__init__(directory)
        self.as_root = os.geteuid() == 0
        self.base = Path(tempfile.mkdtemp(prefix="bgbench-pg-"))
        self.data = self.base / "data"
        self.initialized = False

    @property
    def url(self) -> str:
        return f"postgresql://127.0.0.1:{self.port}/test"

    def _run_as(self) -> tuple[int | None, int | None, list[int] | None]:
        """The user, group and groups its programs run as: the server user's, as root."""
        if not self.as_root:
            return None, None, None
        entry = pwd.getpwnam(self.SERVER_USER)
        return entry.pw_uid, entry.pw_gid, []

    def _program(self, name: str) -> str:
        program = shutil.which(name)
        if program is None:
            unavailable(f"needs PostgreSQL's {name} (Debian: apt install postgresql)")
        return program

    def _initdb(self) -> None:
        if self.as_root:
            entry = pwd.getpwnam(self.SERVER_USER)
            self.base.chmod(0o755)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        user, group, groups = self._run_as()
        subprocess.run(
            [
                self._program("initdb"),
                *("-D", str(self.data), "-A", "trust", "-U", self.SERVER_USER),
                *("-E", "UTF8", "--locale", "C.UTF-8", "--no-sync"),
            ],
            cwd=self.base,
            capture_output=True,
            check=True,
            user=user,
            group=group,
            extra_groups=groups,
        )

    def start(self) -> OwnPostgres:
        import psycopg

        if not self.initialized:
            self._initdb()
        user, group, groups = self._run_as()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    self._program("postgres"),
                    *("-D", str(self.data), "-p", str(self.port), "-k", str(self.data)),
                    *("-c", "listen_addresses=127.0.0.1"),
                ],
                cwd=self.base,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                user=user,
                group=group,
                extra_groups=groups,
            )
        admin = f"postgresql://{self.SERVER_USER}@127.0.0.1:{self.port}/postgres"
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            try:
                with psycopg.connect(admin, connect_timeout=2, autocommit=True) as connection:
                    if not self.initialized:
                        me = getpass.getuser()
                        if me != self.SERVER_USER:
                            connection.execute(f'CREATE ROLE "{me}" SUPERUSER LOGIN')
                        connection.execute('CREATE DATABASE "test"')
                        self.initialized = True
                return self
            except psycopg.OperationalError:  # refused, or still starting (crash recovery)
                if self.process.poll() is not None:
                    raise RuntimeError(f"postgres exited; see {self.log}") from None
                if time.monotonic() > deadline:
                    self.crash()
                    raise RuntimeError(f"PostgreSQL not ready in {START_TIMEOUT_S:g} s") from None
                time.sleep(0.05)

    def stop(self) -> None:
        # A fast shutdown (what `pg_ctl stop -m fast` sends); SIGKILL to all if it lingers.
        self._stop_then_crash(signal.SIGINT)

    def crash(self) -> None:
        """SIGKILL to the postmaster and every backend at once, frozen first so that it forks
        none meanwhile; back only when all are gone (a backend left would keep the old shared
        memory, and the next postmaster would refuse to start)."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(signal.SIGSTOP)
            _gone(_kill_tree(self.process))
        self.process = None

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)
