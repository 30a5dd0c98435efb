"""Headless Locust runs against real target apps, several at once, for the scenario tests.

A test asks for a run with `@pytest.mark.parametrize("run", [Run(...)], indirect=True)`. The
first such test starts every run the session has selected (a few at a time: each is mostly
waiting, and one at a time would take minutes), and each test then waits for its own.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweep.target import TargetProcess

ROOT = Path(__file__).resolve().parents[2]
PARALLEL_RUNS = 4
RUN_TIMEOUT_S = 60  # a 3 s run takes ~5 s; a hung one must not hang the suite


@dataclass(frozen=True)
class App:
    """A target app's BGBENCH_* settings; `name` makes one exclusive to a run."""

    name: str = "default"
    settings: tuple[tuple[str, str], ...] = ()
    stalls: bool = False  # left busy by its run: killed, not drained, at the end


@dataclass(frozen=True)
class Run:
    locustfile: str  # loadtests/<name>.py, or a path from the repository root
    args: tuple[str, ...] = ()
    app: App = App()
    seconds: int = 3
    label: str = ""

    def __str__(self) -> str:
        return self.label or Path(self.locustfile).stem

    @property
    def path(self) -> str:
        return self.locustfile if "/" in self.locustfile else f"loadtests/{self.locustfile}.py"


@dataclass(frozen=True)
class LocustStats:
    requests: dict[str, int]  # per request name, from Locust's own final stats
    failures: dict[str, int]
    errors: list[str] = field(default_factory=list)  # failure messages

    @property
    def total(self) -> int:
        return sum(self.requests.values())


@dataclass(frozen=True)
class Result:
    run: Run
    returncode: int
    log: str
    client: dict[str, Any]
    locust: LocustStats

    def names(self, *, probe: bool = True) -> list[str]:
        return [n for n in self.client["requests"] if probe or n != self.client["probe"]]

    def count(self, *, probe: bool = True) -> int:
        return sum(self.client["requests"][n]["count"] for n in self.names(probe=probe))


def run_locust(run: Run, host: str, workdir: Path) -> Result:
    workdir.mkdir(parents=True, exist_ok=True)
    command = [
        *(sys.executable, "-m", "locust", "-f", run.path, "--host", host, "--headless"),
        *("-t", f"{run.seconds}s", "--only-summary", "--bgbench-out", str(workdir)),
        *("--json-file", str(workdir / "locust"), "--csv", str(workdir / "locust")),
        *run.args,
    ]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LOCUST_")}
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    log = done.stdout + done.stderr
    client_path = workdir / "client.json"
    assert client_path.exists(), f"{run}: no client.json; Locust said:\n{log[-3000:]}"
    return Result(run, done.returncode, log, json.loads(client_path.read_text()), _stats(workdir))


def _stats(workdir: Path) -> LocustStats:
    # The JSON file is written at shutdown, after the workers' last reports; Locust's CSV is
    # rewritten only every second, so it is read for the failure messages alone.
    entries = json.loads((workdir / "locust.json").read_text())
    with (workdir / "locust_failures.csv").open() as failures:
        errors = [row["Error"] for row in csv.DictReader(failures)]
    return LocustStats(
        requests={e["name"]: e["num_requests"] for e in entries},
        failures={e["name"]: e["num_failures"] for e in entries},
        errors=errors,
    )


class Launcher:
    """Starts the apps the selected runs need, then the runs, and hands out their results."""

    def __init__(self, runs: Iterable[Run], workdir: Path) -> None:
        self.workdir = workdir
        self.apps: dict[App, TargetProcess] = {}
        self._pool = ThreadPoolExecutor(PARALLEL_RUNS)
        self._futures: dict[Run, Future[Result]] = {}
        for n, run in enumerate(dict.fromkeys(runs)):
            target = self._app(run.app)
            place = workdir / f"{n:02d}-{run}"
            self._futures[run] = self._pool.submit(run_locust, run, target.url, place)

    def _app(self, app: App) -> TargetProcess:
        if app not in self.apps:
            env = {"BGBENCH_DATA_DIR": str(self.workdir / f"data-{app.name}")}
            env.update({f"BGBENCH_{k.upper()}": v for k, v in app.settings})
            log = self.workdir / f"server-{app.name}.log"
            self.apps[app] = TargetProcess(env, log_path=log).start()
        return self.apps[app]

    def result(self, run: Run) -> Result:
        return self._futures[run].result()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
        for app, target in self.apps.items():
            if app.stalls:
                target.kill()  # its backlog of blocking tasks would take long to drain
            else:
                target.stop(timeout_s=30)


def selected_runs(items: Iterable[Any]) -> Iterator[Run]:
    for item in items:
        run = getattr(item, "callspec", None) and item.callspec.params.get("run")
        if isinstance(run, Run):
            yield run


def settings(**values: object) -> tuple[tuple[str, str], ...]:
    return tuple((key, str(value)) for key, value in values.items())
