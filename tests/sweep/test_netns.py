"""Distributed load across hosts, on one machine: the target app, Locust's master and two
Locust workers each in a network namespace of their own, joined by a bridge on a private
link this test makes (10.213.0.0/24), and one short cell run the way the sweep runs it.

The merged request count must equal the sum of the workers' own counts, and the app's own
count of the requests it served. Needs root and iproute2: under CI it must run (a missing
prerequisite fails), elsewhere it is skipped with the reason. Everything it makes (five
namespaces, their veth pairs and bridge, four processes) is removed even when it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sweep import cell_results, definition
from sweep.definition import CellSpec
from sweep.locust_process import command, read_stats
from tests.conftest import unavailable

pytestmark = pytest.mark.slow

SUBNET = "10.213.0"
APP, MASTER, WORKERS = "app", "master", ("worker1", "worker2")
ADDRESSES = {APP: f"{SUBNET}.1", MASTER: f"{SUBNET}.2", WORKERS[0]: f"{SUBNET}.3"}
ADDRESSES[WORKERS[1]] = f"{SUBNET}.4"
APP_PORT, MASTER_PORT = 8000, 5557
# Workers start their users ~0.5 s after the master starts the test: the warm-up leaves
# that ramp out of the measured phase.
RATE, DURATION_S, WARMUP_S = 50, 4, 1
COMMAND_TIMEOUT_S = 30
# The cell's own bound (run time + Locust's start-up + the wait for workers), with room.
LOAD_TIMEOUT_S = 90


def _missing_prerequisite() -> str | None:
    if sys.platform != "linux":
        return "network namespaces are Linux only"
    if os.geteuid() != 0:
        return "needs root to make network namespaces (ip netns add)"
    if shutil.which("ip") is None:
        return "needs iproute2 (apt-get install iproute2)"
    return None


def _require_prerequisites() -> None:
    missing = _missing_prerequisite()
    if missing is not None:
        unavailable(missing)


def _ip(*args: str) -> None:
    result = subprocess.run(
        ["ip", *args], capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {result.stderr.strip()}")


@dataclass
class Network:
    """Namespaces named for this test run, so that nothing of the machine's is touched."""

    prefix: str
    made: list[str]

    def ns(self, role: str) -> str:
        return f"{self.prefix}-{role}"

    def add(self, role: str) -> str:
        name = self.ns(role)
        _ip("netns", "add", name)
        self.made.append(name)
        _ip("-n", name, "link", "set", "lo", "up")
        return name


@pytest.fixture
def network() -> Iterator[Network]:
    """A hub namespace holding a bridge, and one namespace per role, linked to the bridge by
    a veth pair and given its own address; deleting a namespace deletes its interfaces."""
    _require_prerequisites()
    net = Network(prefix=f"bgbench{os.getpid()}", made=[])
    try:
        hub = net.add("hub")
        _ip("-n", hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", hub, "link", "set", "br0", "up")
        for role, address in ADDRESSES.items():
            ns = net.add(role)
            # Both ends are made inside namespaces of ours: the machine's own never sees one.
            # (The hub's end is not named after the role: `master` is one of ip's keywords.)
            port = f"v-{role}"
            _ip("-n", hub, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", ns)
            _ip("-n", hub, "link", "set", port, "master", "br0", "up")
            _ip("-n", ns, "addr", "add", f"{address}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
    except RuntimeError as error:
        _delete(net)
        unavailable(f"could not build the namespaces: {error}")
    try:
        yield net
    finally:
        _delete(net)


def _delete(net: Network) -> None:
    for name in reversed(net.made):
        subprocess.run(["ip", "netns", "delete", name], timeout=COMMAND_TIMEOUT_S, check=False)
    net.made.clear()


class Processes:
    """Processes started in a namespace, each in its own process group, stopped by pid."""

    def __init__(self, net: Network) -> None:
        self.net = net
        self.started: list[subprocess.Popen[bytes]] = []

    def start(
        self, role: str, args: Sequence[str], log: Path, *, cwd: Path, env: dict[str, str]
    ) -> subprocess.Popen[bytes]:
        with log.open("wb") as out:
            process = subprocess.Popen(
                ["ip", "netns", "exec", self.net.ns(role), *args],
                cwd=cwd,
                env={**os.environ, **env},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: stopped with its children
            )
        self.started.append(process)
        return process

    def run(self, role: str, args: Sequence[str]) -> str:
        result = subprocess.run(
            ["ip", "netns", "exec", self.net.ns(role), *args],
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_S,
            check=True,
        )
        return result.stdout

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=15)


@pytest.fixture
def processes(network: Network) -> Iterator[Processes]:
    started = Processes(network)
    try:
        yield started
    finally:
        started.stop_all()  # before the namespaces go (the network fixture's finalizer)


# Run inside a namespace: GET a URL of the app, retrying until it answers (it is starting).
_GET = """
import sys, time, httpx
deadline = time.monotonic() + 20
while True:
    try:
        response = httpx.get(sys.argv[1], timeout=2)
        response.raise_for_status()
        print(response.text)
        break
    except httpx.HTTPError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.1)
"""


def _get(processes: Processes, role: str, url: str) -> Any:
    return json.loads(processes.run(role, [sys.executable, "-c", _GET, url]))


def _cell_spec() -> CellSpec:
    raw = {
        "name": "netns",
        "defaults": {
            "rate": RATE,
            "duration_s": DURATION_S,
            "warmup_s": WARMUP_S,
            "remote_load_workers": len(WORKERS),
            "load_master_bind": ADDRESSES[MASTER],
            "load_master_port": MASTER_PORT,
        },
        "matrix": [{"strategy": "none"}],
    }
    cells = definition.parse(raw, "netns").cells
    assert len(cells) == 1
    return cells[0]


def test_load_from_two_worker_hosts_adds_up(processes: Processes, tmp_path: Path) -> None:
    spec = _cell_spec()
    app_url = f"http://{ADDRESSES[APP]}:{APP_PORT}"
    data = tmp_path / "app-data"
    processes.start(
        APP,
        [sys.executable, "-m", "target_app", "--host", ADDRESSES[APP], "--port", str(APP_PORT)],
        tmp_path / "app.log",
        cwd=tmp_path,
        env={"BGBENCH_DATA_DIR": str(data)},
    )
    # From the master's namespace: the app answers across the bridge before the load starts.
    assert _get(processes, MASTER, f"{app_url}/healthz") is not None

    cell_dir = tmp_path / "cell"
    cell_dir.mkdir()
    master = processes.start(
        MASTER, command(spec, app_url, cell_dir), cell_dir / "locust.log", cwd=cell_dir, env={}
    )
    for worker in WORKERS:
        own_tmp = tmp_path / worker  # where `-f -` writes the scenario it fetched
        own_tmp.mkdir()
        # The command docs/sweeps.md gives for a worker host.
        args = ["--worker", "--master-host", ADDRESSES[MASTER], "--master-port", str(MASTER_PORT)]
        processes.start(
            worker,
            [sys.executable, "-m", "locust", "-f", "-", *args],
            tmp_path / f"{worker}.log",
            cwd=own_tmp,
            env={"TMPDIR": str(own_tmp)},
        )
    code = master.wait(timeout=LOAD_TIMEOUT_S)
    log = (cell_dir / "locust.log").read_text()
    assert code in (0, 1), log[-3000:]
    metrics = _get(processes, MASTER, f"{app_url}/metrics")

    client = json.loads((cell_dir / "client.json").read_text())
    cell = cell_results.build(
        cell_results.CellOutcome(
            spec=spec,
            cell_id="000-netns",
            index=0,
            started_at="",
            finished_at="",
            client=client,
            samples=[],
            final=None,
            snapshot=metrics,
            locust=read_stats(cell_dir),
            failure=None,
            pinning={},
        )
    )
    assert cell.client is not None
    assert cell.loadgen is not None
    workers = cell.loadgen.locust_workers
    merged = cell.client.requests
    warmup = client["warmup"]["count"]
    served = metrics["server_latency_us"]["/baseline"]["count"]
    print(  # the numbers of the run, for the README
        f"netns run: {[w.requests for w in workers]} requests by the workers, {merged} merged, "
        f"{served} served by the app ({warmup} of them in the warm-up), "
        f"{cell.client.unfinished} unfinished, flags {cell.flag_reasons}; "
        f"workers' send-lag p99 {[w.send_lag.p99 if w.send_lag else None for w in workers]} "
        f"µs, CPU {[w.cpu_percent for w in workers]}%"
    )
    assert (client["workers"], client["incomplete"]) == (len(WORKERS), [])
    assert len({w.id for w in workers}) == len(WORKERS)
    assert all(w.requests > 0 for w in workers), "each worker host sent some of the load"
    assert sum(w.requests for w in workers) == merged
    # The app counts every request that reached it: answered ones, and any still unanswered
    # when the load stopped (sent, but never recorded as answered).
    assert merged + warmup <= served <= merged + warmup + cell.client.unfinished
    assert cell.client.locust is not None
    assert cell.client.locust["requests"] == merged + warmup
    assert merged >= 0.9 * RATE * DURATION_S
    assert all(w.cpu_percent is not None for w in workers)
