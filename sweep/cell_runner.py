"""One cell: a fresh target app, Locust against it, the app sampled every second, the drain
awaited, both processes stopped by pid, and every file written — even when it breaks."""

from __future__ import annotations

import json
import math
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

import httpx

from bgbench.queues import Broker
from bgbench.results import names, writer
from bgbench.results.model import Cell
from bgbench.results.model import QueueWorker as QueueWorkerRecord
from sweep import cell_results, interrupts
from sweep.catalog import STRATEGIES
from sweep.definition import CellSpec
from sweep.locust_process import EXPECT_WORKERS_WAIT_S, LocustProcess, read_stats
from sweep.machine import Pinning
from sweep.queue_workers import (
    BrokerError,
    QueueWorker,
    WorkerError,
    broker_url,
    held,
    late_starts,
    purge,
)
from sweep.sampler import Sample, Sampler
from sweep.target import TargetError, TargetProcess

CLIENT_JSON = "client.json"
SERVER_METRICS = "server_metrics.json"
WORKER_LOG = "worker.log"
HARNESS_LOG = "harness.log"
_POLL_S = 0.2
# Once the load stops, wait this long past the app's drain timeout for it to exit by itself.
_STOP_MARGIN_S = 30.0
# Finished tasks the app keeps for /tasks/{id}, which nothing in a sweep reads (the app ends
# with its cell). At the app's default, 100,000, they held ~460 B of Python objects each
# (tracemalloc: two uuid hex strings, the record, its timestamps, its OrderedDict entry),
# ~0.9 MiB of RSS per 1,000 tasks: sweeps/soak.toml's app grew 126 -> 229 MiB at 10 MiB/min
# and levelled off only at the 100,000th task, ~500 s in; and each record is one more object
# for every full collection to traverse (+100,000 objects: gc.collect() 75 -> 110 ms here).
# At 1,000 the same load's app grew 118 -> 126 MiB in 150 s and stayed there.
LEDGER_RETAIN = 1000


def target_env(spec: CellSpec, cell_dir: Path, data_dir: Path) -> dict[str, str]:
    strategy = STRATEGIES[spec.strategy]
    env = {
        "BGBENCH_DATA_DIR": str(data_dir),
        "BGBENCH_FINAL_METRICS_PATH": str(cell_dir / names.SERVER_FINAL),
        "BGBENCH_DRAIN_TIMEOUT_S": f"{spec.drain_timeout_s:g}",
        "BGBENCH_THREADPOOL_TOKENS": str(spec.threadpool_tokens),
        "BGBENCH_EXECUTOR_QUEUE_LIMIT": str(spec.queue_limit),
        "BGBENCH_UPLOAD_KEEP_FILES": "false",
        "BGBENCH_LEDGER_RETAIN": str(LEDGER_RETAIN),
        **strategy.env,
    }
    if strategy.workers_env and spec.workers is not None:
        env[strategy.workers_env] = str(spec.workers)
    if spec.strategy.startswith("middleware_"):
        env["BGBENCH_MIDDLEWARE_WORKLOAD"] = spec.workload
        env["BGBENCH_MIDDLEWARE_MS"] = f"{spec.ms:g}"
    return env


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data


def _snapshot(url: str) -> dict[str, Any] | None:
    try:
        response = httpx.get(f"{url}/metrics", timeout=5.0)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
    except (httpx.HTTPError, ValueError):
        return None
    return data


class CellRun:
    def __init__(
        self,
        spec: CellSpec,
        index: int,
        cell_dir: Path,
        pinning: Pinning,
        cpu_iterations_per_ms: float | None = None,
    ) -> None:
        self.spec, self.index, self.cell_dir, self.pinning = spec, index, cell_dir, pinning
        self.cpu_iterations_per_ms = cpu_iterations_per_ms
        self.failure: str | None = None
        self.snapshot: dict[str, Any] | None = None
        self.samples: list[Sample] = []
        self.server_cpus = pinning.server_cpus if pinning.pinned else None
        self.worker: QueueWorker | None = None
        self.load_began: float | None = None  # time.monotonic() as Locust started
        self.worker_death: tuple[int, float] | None = None  # exit code, seconds into the load
        self.held_at_stop: int | None = None  # the cell's jobs its broker held at the end
        self.started_after_drain: int | None = None  # jobs its worker took after the app
        self.written: Cell | None = None  # cell.json, once it is on disk

    def run(self) -> Cell:
        """Run the cell and write its files; returns cell.json. Whatever happens, every
        process it started is stopped and what was gathered is written: a bug of ours marks
        the cell failed (traceback in harness.log) and the sweep goes on; Ctrl-C marks it
        failed too, then propagates (after the files, if it came while they were written)."""
        self.cell_dir.mkdir(parents=True)
        started_at = writer.utc_now()
        with tempfile.TemporaryDirectory(prefix="bgbench-cell-") as data_dir:
            env = target_env(self.spec, self.cell_dir, Path(data_dir))
            if self.cpu_iterations_per_ms:
                env["BGBENCH_CPU_ITERATIONS_PER_MS"] = f"{self.cpu_iterations_per_ms:g}"
            worker = self.worker = (
                self._queue_worker(env) if STRATEGIES[self.spec.strategy].needs_broker else None
            )
            target = TargetProcess(
                env,
                log_path=self.cell_dir / names.SERVER_LOG,
                cpus=self.server_cpus,
                # Remote load workers send their requests to the address the master binds.
                host=self.spec.load_master_bind,
                # Bound the shutdown: uvicorn cancels request cycles (and the background tasks
                # in them) after this, and the lifespan's drain gets as long again.
                extra_args=[
                    "--timeout-graceful-shutdown",
                    str(math.ceil(self.spec.drain_timeout_s)),
                ],
            )
            try:
                self._drive(target, worker)
            except KeyboardInterrupt:
                self.failure = "interrupted by the user (Ctrl-C)"
                raise
            except Exception as exc:
                (self.cell_dir / HARNESS_LOG).write_text(traceback.format_exc())
                self.failure = f"the sweep failed: {type(exc).__name__}: {exc} (see {HARNESS_LOG})"
            finally:
                # A stop signal now waits for the files: Ctrl-C is what asked for them.
                with interrupts.deferred():
                    self._stop(target, worker, env)
                    cell = self.written = self._write(started_at)
        return cell

    def _queue_worker(self, env: dict[str, str]) -> QueueWorker:
        assert self.spec.broker is not None, "a queue strategy's cell names its broker"
        env["BGBENCH_BROKER_URL"] = broker_url(Broker(self.spec.broker))
        env["BGBENCH_EVENTS_URL"] = broker_url(Broker.REDIS)
        env["BGBENCH_QUEUE_CONCURRENCY"] = str(self.spec.workers or 1)
        # A queue of its own per cell: nothing one cell leaves behind reaches the next.
        env["BGBENCH_QUEUE_NAME"] = f"bgbench-{self.cell_dir.parent.parent.name}-{self.index}"
        return QueueWorker(env, self.cell_dir / WORKER_LOG, cpus=self.server_cpus)

    def _drive(self, target: TargetProcess, worker: QueueWorker | None) -> None:
        try:
            target.start()
            if worker is not None:
                worker.start()
        except (TargetError, WorkerError) as exc:
            self.failure = f"could not start: {exc}"
            return
        locust = LocustProcess(self.spec, target.url, self.cell_dir)
        sampler = Sampler(
            target.url,
            server_pids=lambda: [p for p in (target.live_pid, worker and worker.pid) if p],
            loadgen_pids=lambda: [locust.pid] if locust.pid else [],
            pinning=self.pinning,
            worker_pids=lambda: [worker.pid] if worker and worker.pid else [],
        )
        self.samples = sampler.samples  # kept even if what follows breaks
        sampler.start()
        try:
            self.load_began = time.monotonic()
            locust.start()
            self._wait_for_load(target, locust)
            if self.failure is None:
                self._wait_for_drain(target, sampler)
                self.snapshot = _snapshot(target.url)
        finally:
            locust.stop()
            sampler.stop()

    def _wait_for_load(self, target: TargetProcess, locust: LocustProcess) -> None:
        deadline = time.monotonic() + locust.timeout_s
        while locust.poll() is None:
            self._watch_worker()
            if not target.alive():
                self.failure = f"the target app died during the load (exit code {target.exit_code})"
                return
            if time.monotonic() > deadline:
                self.failure = f"Locust did not finish within {locust.timeout_s:g} s"
                return
            time.sleep(_POLL_S)
        code = locust.poll()
        if code not in (0, 1):  # 1: some requests failed, which the results record
            self.failure = f"Locust exited with code {code}; see {names.LOCUST_LOG}"
        elif self.spec.remote_load_workers and not (self.cell_dir / CLIENT_JSON).exists():
            # Locust's master exits 1 too when it gives up waiting for its workers.
            spec = self.spec
            self.failure = (
                f"no load: {spec.remote_load_workers} remote Locust worker(s) did not all "
                f"connect to {spec.load_master_bind}:{spec.load_master_port} within "
                f"{EXPECT_WORKERS_WAIT_S} s (start them as docs/sweeps.md says)"
            )

    def _wait_for_drain(self, target: TargetProcess, sampler: Sampler) -> None:
        """After the load: keep sampling until the app has no task in flight (its backlog
        drains into the time series), or the cell's drain timeout passes."""
        deadline = time.monotonic() + self.spec.drain_timeout_s
        seen = len(sampler.samples)
        while time.monotonic() < deadline and target.alive():
            if self._watch_worker():
                return  # nobody is left to run the backlog: waiting would only add seconds
            time.sleep(_POLL_S)
            if len(sampler.samples) > seen:
                seen = len(sampler.samples)
                window = sampler.samples[-1].window
                if window is not None and window["gauges"]["in_flight"] == 0:
                    return

    def _watch_worker(self) -> bool:
        """Whether the queue worker's main process has exited; the first time it is seen
        gone, when (the cell is flagged `worker_died`: its tasks stop running)."""
        if self.worker is None:
            return False
        code = self.worker.child.exit_code
        if code is not None and self.worker_death is None:
            began = self.load_began if self.load_began is not None else time.monotonic()
            self.worker_death = (code, round(time.monotonic() - began, 1))
        return code is not None

    def _queue_worker_record(self) -> QueueWorkerRecord | None:
        if self.worker is None:
            return None
        code, at = self.worker_death if self.worker_death is not None else (None, None)
        facts = self.worker.library.facts
        return QueueWorkerRecord(
            library=facts.name,
            broker=self.worker.library.broker.value,
            concurrency=self.worker.concurrency,
            concurrency_is=facts.concurrency_is,
            exit_code=code,
            died_at_s=at,
            held_at_stop=self.held_at_stop,
            started_after_drain=self.started_after_drain,
        )

    def _stop(self, target: TargetProcess, worker: QueueWorker | None, env: dict[str, str]) -> None:
        if target.process is not None:
            died = not target.alive()
            target.stop(timeout_s=self.spec.drain_timeout_s + _STOP_MARGIN_S)
            if died and self.failure is None:
                self.failure = f"the target app died (exit code {target.exit_code})"
        if worker is not None:
            self._watch_worker()  # before the stop below ends it on purpose
            # After the app: its drain waited for the queued work the workers were finishing.
            worker.stop(timeout_s=self.spec.drain_timeout_s + _STOP_MARGIN_S)
            try:
                # Stopped, the worker has given back what it held unacknowledged: what the
                # broker holds now is every job of the cell's it still has, and the others
                # of those the app counted not run were started after its drain.
                self.held_at_stop = held(env)
                self.started_after_drain = late_starts(env)
            except BrokerError as exc:
                self.failure = self.failure or f"could not count the cell's queue: {exc}"
            try:
                purge(env)
            except BrokerError as exc:
                self.failure = self.failure or f"could not purge the cell's queue: {exc}"

    def _write(self, started_at: str) -> Cell:
        client = _read_json(self.cell_dir / CLIENT_JSON)
        final = _read_json(self.cell_dir / names.SERVER_FINAL)
        metrics = final or self.snapshot
        if metrics is not None:
            self.cpu_iterations_per_ms = metrics["process"]["cpu_iterations_per_ms"]
        if self.snapshot is not None:
            writer.write_json(self.cell_dir / SERVER_METRICS, self.snapshot)
        outcome = cell_results.CellOutcome(
            spec=self.spec,
            cell_id=self.cell_dir.name,
            index=self.index,
            started_at=started_at,
            finished_at=writer.utc_now(),
            client=client,
            samples=self.samples,
            final=final,
            snapshot=self.snapshot,
            locust=read_stats(self.cell_dir),
            failure=self.failure,
            pinning={
                "server_cpus": self.pinning.server_cpus if self.pinning.pinned else None,
                "loadgen_cpus": self.pinning.loadgen_cpus if self.pinning.pinned else None,
            },
            load_processes=self.spec.load_workers,
            loadgen_cores=len(self.pinning.loadgen_cpus),
            queue_worker=self._queue_worker_record(),
        )
        cell = cell_results.build(outcome)
        writer.write_cell(self.cell_dir, cell)
        return cell
