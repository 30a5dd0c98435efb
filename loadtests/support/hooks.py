"""Wiring into Locust's events: the options, one recorder per process, snapshots shipped from
workers to the master, and client.json plus a summary table when a test run stops.

Each process has a `Session` in one of three roles:

- local (one process, or `run_single_user`): records, drains its recorder into its own
  aggregate every few seconds (a drained recorder holds only recent seconds, so memory stays
  flat on long runs) and writes at `test_stop`.
- worker: records and ships each drain with Locust's stats report (`report_to_master`, every
  3 s), and a last one in a message of its own at its `test_stop`, so no answer is lost
  between the last report and the stop.
- master: adds up what the workers ship and writes once it has stopped and every worker has
  delivered its last snapshot; Locust's `quit` writes whatever arrived, listing the workers
  whose last snapshot is missing under "incomplete".

The master also decides when the run started and how many users it started with, and hands
both to the workers in the parsed options it sends with every spawn message: one warm-up
cutoff for all, and the same split of the rate.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from typing import Any
from weakref import WeakKeyDictionary

import gevent
from locust import events
from locust.env import Environment
from locust.runners import MasterRunner, WorkerRunner

from loadtests.support import client_json, options, web_form
from loadtests.support.aggregate import LOCAL, Aggregate
from loadtests.support.client_json import RunInfo
from loadtests.support.options import ScenarioOptions
from loadtests.support.recording import Mark, Outcome, Recorder, Snapshot

RUN_OPTION = "bgbench_run"  # parsed_options attribute: the master's start and user count
REPORT_KEY = "bgbench"  # key of the snapshot in a worker's stats report
LAST_SNAPSHOT = "bgbench_last_snapshot"  # message type of a worker's last snapshot
DRAIN_INTERVAL_S = 2.0

logger = logging.getLogger(__name__)
stats_logger = logging.getLogger("locust.stats_logger")  # Locust's own tables go there too


class Session:
    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        self.run: RunInfo | None = None
        self.recorder: Recorder | None = None
        self.aggregate: Aggregate | None = None  # local and master only
        self.stopped_at: float | None = None
        self.stopping = False  # from Locust's test_stopping until the next test_start
        # The earliest intended send a schedule skipped for the stop: when offering ended.
        self.offered_until: float | None = None
        self.written = False
        self.expected: set[str] = set()  # master: the workers of the run
        self.finished: set[str] = set()  # master: workers whose last snapshot arrived
        self._drainer: gevent.Greenlet | None = None

    @property
    def is_worker(self) -> bool:
        return isinstance(self.environment.runner, WorkerRunner)

    @property
    def is_master(self) -> bool:
        return isinstance(self.environment.runner, MasterRunner)

    def users_sharing_rate(self) -> int:
        """The users the offered rate is split over: those the run started with, less the
        fixed-count users (the mixed scenario's prober), which bring a rate of their own."""
        assert self.run is not None, "a user started before the test run did"
        fixed = sum(cls.fixed_count for cls in self.environment.user_classes)
        return max(self.run.users - fixed, 1)

    # -- events ----------------------------------------------------------------------------

    def on_test_start(self, **_: Any) -> None:
        # Everything Locust and its imports allocated stays for the whole run: out of the
        # collector's sight, a full collection no longer walks it. One did, once every 15 s
        # or so at 40 req/s, and sent every request due meanwhile ~26 ms late (one Locust on
        # its own core, /baseline: send-lag max 26 ms; frozen, 2.9-3.3 ms).
        gc.collect()
        gc.freeze()
        parsed = self.environment.parsed_options
        scenario = ScenarioOptions.from_namespace(parsed)
        if self.is_worker:
            started_at, users = getattr(parsed, RUN_OPTION)
        else:
            runner = self.environment.runner
            started_at, users = time.time(), (runner.target_user_count if runner else 1)
            if self.is_master:
                setattr(parsed, RUN_OPTION, (started_at, users))
        self.run = RunInfo(started_at=started_at, users=max(users, 1), options=scenario)
        self.recorder = Recorder(started_at, self.run.measure_from)
        self.aggregate = None if self.is_worker else Aggregate(started_at)
        self.stopped_at, self.written = None, False
        self.stopping, self.offered_until = False, None
        self.expected, self.finished = set(), set()
        if not self.is_worker and not self.is_master:
            self._drainer = gevent.spawn(self._drain_every, DRAIN_INTERVAL_S)

    def on_request(
        self,
        name: str,
        response_time: float,
        exception: BaseException | None,
        context: dict[str, Any] | None = None,
        start_time: float | None = None,
        response: object = None,
        **_: Any,
    ) -> None:
        if self.recorder is None:
            return
        mark = (context or {}).get(Mark.KEY)
        if not isinstance(mark, Mark):  # a request none of our users sent
            mark = Mark(at=start_time or time.time(), lag_us=None)
        self.recorder.record(
            Outcome(
                name=name,
                at=mark.at,
                uncorrected_us=response_time * 1000,
                lag_us=mark.lag_us,
                failed=exception is not None,
                status=getattr(response, "status_code", 0) or 0,
                probe=mark.probe,
            )
        )

    def on_test_stopping(self, **_: Any) -> None:
        # Locust's stop() first spends 30-60 ms finding its caller (inspect.stack(), which
        # reads source files) without yielding, and only then stops the users: the schedules,
        # woken after that, would send every request due meanwhile (past the run's end) that
        # late, and the send-lag max of nearly every cell was that stop. They end here, at
        # once, instead (OpenModelUser._schedule reads this).
        self.stopping = True

    def skipped_for_the_stop(self, at: float) -> None:
        """A schedule's first request not sent because the run is over (its intended epoch)."""
        self.offered_until = at if self.offered_until is None else min(self.offered_until, at)

    def on_test_stop(self, **_: Any) -> None:
        if self.recorder is None:
            return
        if self.is_worker:
            runner = self.environment.runner
            assert runner is not None
            runner.send_message(LAST_SNAPSHOT, self.recorder.drain())
            return
        # The measured phase ends where offering did: with the stop's 30-60 ms before
        # test_stopping counted, a 2 s cell at 200 req/s read 393 sent of 400 offered and
        # was flagged saturated. (A master has no schedules: its own stop time.)
        now = time.time()
        self.stopped_at = now if self.offered_until is None else min(now, self.offered_until)
        if self.is_master:
            runner = self.environment.runner
            assert isinstance(runner, MasterRunner)
            self.expected = set(runner.clients.keys())
            self._write_when_complete()
            return
        if self._drainer is not None:
            self._drainer.kill()
        self._absorb(self.recorder.drain(), LOCAL)
        self._finish(incomplete=[])

    def on_report_to_master(self, client_id: str, data: dict[str, Any]) -> None:
        if self.recorder is not None:
            data[REPORT_KEY] = self.recorder.drain()

    def on_worker_report(self, client_id: str, data: dict[str, Any]) -> None:
        if REPORT_KEY in data:
            self._absorb(data[REPORT_KEY], client_id)

    def on_last_snapshot(self, msg: Any, **_: Any) -> None:
        if self._absorb(msg.data, msg.node_id):
            self.finished.add(msg.node_id)
            self._write_when_complete()

    def on_quit(self, **_: Any) -> None:
        if self.stopped_at is not None and not self.written:
            self._finish(incomplete=sorted(self.expected - self.finished))

    # -- helpers ---------------------------------------------------------------------------

    def _drain_every(self, interval_s: float) -> None:
        while True:
            gevent.sleep(interval_s)
            if self.recorder is not None:
                # gevent.sleep(0) between encodings: the users' greenlets send in between.
                self._absorb(self.recorder.drain(pause=lambda: gevent.sleep(0)), LOCAL)

    def _absorb(self, snapshot: Snapshot, source: str) -> bool:
        return self.aggregate is not None and self.aggregate.absorb(snapshot, source)

    def _write_when_complete(self) -> None:
        if self.stopped_at is not None and not self.written and self.expected <= self.finished:
            self._finish(incomplete=[])

    def _finish(self, incomplete: list[str]) -> None:
        assert self.run is not None
        assert self.aggregate is not None
        assert self.stopped_at is not None
        self.written = True
        parsed = self.environment.parsed_options
        doc = client_json.document(
            self.aggregate,
            self.run,
            stopped_at=self.stopped_at,
            scenario=getattr(parsed, "locustfile", None),
            host=self.environment.host,
            incomplete=incomplete,
        )
        if self.run.options.bgbench_out:
            path = client_json.write(self.run.options.bgbench_out, doc)
            logger.info("bgbench: wrote %s", path)
        if getattr(parsed, "headless", False):
            stats_logger.info("%s\n", client_json.summary_table(doc))


_sessions: WeakKeyDictionary[Environment, Session] = WeakKeyDictionary()


def session(environment: Environment) -> Session:
    found = _sessions.get(environment)
    if found is None:
        raise RuntimeError("no bgbench session: Locust's init event has not fired")
    return found


def _listen(hook: Any, listener: Callable[..., None]) -> None:
    # Locust's EventHook.add_listener is unannotated: one untyped door, not an ignore a call.
    hook.add_listener(listener)


def _on_init(environment: Environment, web_ui: Any = None, **_: Any) -> None:
    try:
        ScenarioOptions.from_namespace(environment.parsed_options)
    except ValueError as invalid:  # what argparse alone cannot check, e.g. fail_at <= tasks
        raise SystemExit(f"bgbench: {invalid}") from None
    if web_ui is not None:  # the form's values are checked where they are typed, too
        web_form.refuse_bad_options(web_ui)
    # gevent timers count from the loop's cached clock, last read before the imports and
    # parsing: without this refresh, a `--run-time` timer set just after this event ends
    # the test early by that startup time (2.4 s of 3 s when several runs start at once).
    gevent.get_hub().loop.update_now()
    current = _sessions[environment] = Session(environment)
    _listen(environment.events.request, current.on_request)
    _listen(environment.events.test_start, current.on_test_start)
    _listen(environment.events.test_stopping, current.on_test_stopping)
    _listen(environment.events.test_stop, current.on_test_stop)
    _listen(environment.events.quit, current.on_quit)
    _listen(environment.events.report_to_master, current.on_report_to_master)
    _listen(environment.events.worker_report, current.on_worker_report)
    if current.is_master:
        runner = environment.runner
        assert runner is not None
        runner.register_message(LAST_SNAPSHOT, current.on_last_snapshot)


_listen(events.init_command_line_parser, options.add_arguments)
_listen(events.init, _on_init)
