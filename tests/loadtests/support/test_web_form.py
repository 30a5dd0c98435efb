"""Scenario options typed into Locust's web UI: a bad one is refused with a message in the
form's answer, and no test starts; good ones start it as before."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sweep.target import TargetProcess
from target_app.services.ports import free_loopback_port

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


@pytest.fixture
def web_ui(default_target: TargetProcess, tmp_path: Path) -> Iterator[httpx.Client]:
    """Locust's web UI on a free loopback port, in a child process (gevent patches the process
    that imports Locust), stopped by its pid."""
    port = free_loopback_port()
    command = [sys.executable, "-m", "locust", "-f", "loadtests/baseline.py"]
    command += ["--web-host", "127.0.0.1", "--web-port", str(port), "--host", default_target.url]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    log = tmp_path / "locust.log"
    with log.open("wb") as out:
        locust = subprocess.Popen(command, cwd=ROOT, env=clean, stdout=out, stderr=out)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            deadline = time.monotonic() + 30
            while True:
                assert locust.poll() is None, log.read_text()[-2000:]
                try:
                    if client.get("/").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "Locust's web UI never answered"
                time.sleep(0.1)
            yield client
    finally:
        locust.terminate()
        locust.wait(timeout=30)


def swarm(client: httpx.Client, **options: str) -> dict[str, object]:
    form = {"user_count": "1", "spawn_rate": "1", **options}
    answer: dict[str, object] = client.post("/swarm", data=form).raise_for_status().json()
    return answer


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"rate": "-1"}, "bgbench: rate must be >= 0"),
        ({"rate": "fast"}, "bgbench: rate must be a number, not 'fast'"),
        ({"tasks": "2", "fail_at": "3"}, "bgbench: fail_at (3) must be <= tasks (2)"),
        ({"workload": "email"}, "bgbench: workload must be one of sleep, cpu, db, http"),
    ],
)
def test_a_bad_option_typed_in_the_web_ui_is_refused_with_a_message(
    web_ui: httpx.Client, options: dict[str, str], message: str
) -> None:
    answer = swarm(web_ui, **options)
    assert (answer["success"], answer["message"]) == (False, message)
    assert web_ui.get("/stats/requests").json()["state"] == "ready"  # nothing started


def test_good_options_typed_in_the_web_ui_start_the_test(web_ui: httpx.Client) -> None:
    answer = swarm(web_ui, rate="5", ms="0")
    assert answer["success"] is True, answer
    assert web_ui.get("/stats/requests").json()["state"] in {"spawning", "running"}
