"""`python -m target_app`: the harness's way to start the app."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from sweep.target import TargetProcess


def wait_for_log(path: Path, text: str, timeout_s: float = 10.0) -> None:
    """Until the line is in the log (the logger writes after the response has gone)."""
    deadline = time.monotonic() + timeout_s
    while text not in path.read_text():
        assert time.monotonic() < deadline, f"{text!r} never logged"
        time.sleep(0.05)


def test_a_port_in_use_is_a_one_line_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "target_app", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert result.returncode == 1
    assert result.stderr == (
        f"cannot listen on 127.0.0.1:{port}: Address already in use; pick another --port\n"
    )


def test_port_zero_picks_a_free_port_and_says_which(tmp_path: Path) -> None:
    target = TargetProcess({"BGBENCH_DATA_DIR": str(tmp_path)})
    with target:
        assert target.port > 0
        assert f"listening on http://127.0.0.1:{target.port}" in target.log_path.read_text()


def test_a_named_host_is_the_only_address_it_listens_on(tmp_path: Path) -> None:
    # 127.0.0.2 is loopback too on Linux, but not the default address: a stand-in for the
    # address a remote load worker reaches.
    target = TargetProcess({"BGBENCH_DATA_DIR": str(tmp_path)}, host="127.0.0.2")
    with target:
        assert target.url == f"http://127.0.0.2:{target.port}"
        assert httpx.get(f"{target.url}/baseline", timeout=10).status_code == 200
        with socket.socket() as other:
            assert other.connect_ex(("127.0.0.1", target.port)) != 0  # not on 127.0.0.1


def test_the_access_log_logs_every_request_and_the_server_starts_once(tmp_path: Path) -> None:
    # The embedded stub API runs a second uvicorn server in the process: its config used to
    # empty the access logger (nothing logged with --access-log) and to log a second
    # "Started server process".
    target = TargetProcess({"BGBENCH_DATA_DIR": str(tmp_path)}, extra_args=["--access-log"])
    with target:
        for _ in range(3):
            assert httpx.get(f"{target.url}/baseline", timeout=10).status_code == 200
        # The http workload calls the stub: its requests are not the app's, and not logged.
        response = httpx.get(f"{target.url}/background-async?workload=http&ms=1", timeout=10)
        assert response.status_code == 200
        wait_for_log(target.log_path, '"GET /background-async?workload=http&ms=1 HTTP/1.1" 200')
    log = target.log_path.read_text()
    assert log.count('"GET /baseline HTTP/1.1" 200') == 3
    assert "/delay" not in log
    assert log.count("Started server process") == 1
