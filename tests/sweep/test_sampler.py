from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Collection

import pytest

from sweep import sampler as sampler_module
from sweep.interference import Walk
from sweep.interference import walk as real_walk
from sweep.machine import Pinning
from sweep.sampler import Sample, Sampler


def closed_port_url() -> str:
    """A loopback URL nobody listens on: /metrics/window fails fast, CPU is still sampled."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_sample_keeps_its_positional_fields_and_interference_defaults_to_none() -> None:
    sample = Sample(1.0, None, 20.0, 30.0)
    assert (sample.server_cpu, sample.loadgen_cpu, sample.interference) == (20.0, 30.0, None)


@pytest.mark.parametrize(
    "pinning",
    [
        None,
        Pinning([0, 1], [0], [1], True, "server on CPU 0"),
        Pinning([0], [0], [0], False, "one CPU"),
    ],
)
def test_sampler_measures_cpu_and_interference_from_one_walk_per_tick(
    monkeypatch: pytest.MonkeyPatch, pinning: Pinning | None
) -> None:
    walks: list[Walk] = []

    def counting_walk(
        server: Collection[int],
        loadgen: Collection[int],
        own: int | None = None,
        worker: Collection[int] = (),
    ) -> Walk:
        walks.append(found := real_walk(server, loadgen, own, worker))
        return found

    monkeypatch.setattr(sampler_module, "walk", counting_walk)
    app = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        sampler = Sampler(
            closed_port_url(),
            server_pids=lambda: [app.pid],
            loadgen_pids=lambda: [],
            pinning=pinning,
        )
        sampler.start()
        # Two ticks: due once a second, but the tick runs at the lowest niceness, so on a
        # machine whose cores are all busy it may come late. What is checked here is what
        # each tick measures, not how punctual it is.
        deadline = time.monotonic() + 30
        while len(sampler.samples) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        sampler.stop()
    finally:
        app.kill()
        app.wait()
    samples = sampler.samples
    assert len(samples) >= 2
    assert len(walks) == 1 + len(samples)  # the baseline, then one per tick, shared
    assert all(s.loadgen_cpu is None for s in samples)  # no Locust yet: nothing to measure
    assert all(s.server_cpu is not None for s in samples[1:])
    measured = [s.interference for s in samples if s.interference is not None]
    assert measured
    for interference in measured:
        assert interference.server_foreign_percent >= 0.0
        assert 0.0 <= interference.loadgen_steal_percent <= 100.0
        if pinning is None or not pinning.pinned:  # one group: the same figures for both
            assert interference.server_foreign_percent == interference.loadgen_foreign_percent
    assert sampler.errors  # the window could not be fetched, and that is said
