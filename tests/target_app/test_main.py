"""`python -m target_app`: the harness's way to start the app."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

from sweep.target import TargetProcess


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
