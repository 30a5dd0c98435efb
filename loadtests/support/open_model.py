"""The open-model user: requests offered at a fixed rate, whatever the server does.

A closed-model user (Locust's usual one) sends its next request when the previous one is
answered, so a stalled server is offered less load and its stall hides from the numbers
(coordinated omission). An `OpenModelUser` sends on a schedule instead: at intended times
t0 + i/rate (`--arrival constant`) or with exponential gaps (`poisson`), each request in a
greenlet of its own. Each response is recorded twice: from the actual send (uncorrected)
and from the intended send (corrected, which is what a user arriving at that time waits).
The difference, the send lag, is recorded too, for every request sent: it is the generator's
own lateness, large when one process cannot keep up with its schedule.

At most `--max-in-flight` requests of a stream are in flight per user; a request due while
the cap is reached is not sent and counts as dropped (k6's dropped iterations), never
queued, so the generator cannot pile up unbounded work. `--rate` is for the whole test and is
split evenly over the users it started with (across worker processes too). With `--rate 0`
the same user runs a classic closed loop. `--probe-rate` adds a second stream of
`/baseline-sync` requests to any scenario, recorded under its own name.

A scenario says what one request is by overriding `send` and `request_name`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import gevent
from gevent import GreenletExit
from gevent.pool import Group, Pool
from locust import FastHttpUser, task
from locust.env import Environment

from bgbench.contract import PROBE_REQUEST, PROBE_ROUTE
from loadtests.support import checks, hooks
from loadtests.support.arrivals import arrival_times
from loadtests.support.recording import Mark

Context = dict[str, Any]

# gevent's libev loop waits in epoll with a timeout rounded up to the next millisecond, so a
# sleep ends up to a millisecond late: sends were 0.8-0.9 ms late at the median here. Waking
# a whole millisecond early sends them within that millisecond before their intended times,
# so the timer's rounding is not charged to the corrected latency as send lag. Measured on
# /baseline, constant arrivals (sweeps/fidelity.toml): with 0.7 ms, half the sends left late,
# send-lag p99 0.5-1.7 ms at 1,000 req/s and corrected p50 12-17% above the uncorrected at 200
# req/s; with 1 ms, send-lag p50 1 µs, p99 0.1-0.2 ms at 1,000 req/s, corrected p50 within
# 1-2% at 200 and 1,000 req/s. A send that leaves early counts as on time.
TIMER_SLACK_S = 0.0010


@dataclass(frozen=True, slots=True)
class Stream:
    """One kind of request a user offers, and how often."""

    name: str
    send: Callable[[Context], None]
    rps: float  # this user's share; 0 = a closed loop
    probe: bool = False


def _wait_until(deadline: float) -> None:
    """Sleep until `deadline` (perf_counter), yielding even when it has passed so that
    answers keep being read while the schedule catches up."""
    gevent.sleep(max(deadline - time.perf_counter(), 0.0))
    # A gevent timer counts from the loop's cached clock, which lags behind after a busy
    # stretch of the same loop iteration, so a sleep may end early: sleep on until due.
    while (left := deadline - time.perf_counter()) > 0:
        gevent.sleep(left)


class OpenModelUser(FastHttpUser):
    abstract = True
    carries_probe: ClassVar[bool] = True  # whether --probe-rate adds a probe stream

    def __init__(self, environment: Environment) -> None:
        self.session = hooks.session(environment)
        assert self.session.run is not None, "a user started before the test run did"
        self.options = self.session.run.options
        self.share = self.session.users_sharing_rate()
        self.streams = self.make_streams()
        # The stream run as a closed loop in the user's own greenlet, if any (--rate 0).
        self._closed = next((stream for stream in self.streams if stream.rps == 0), None)
        # Before FastHttpUser builds its connection pool: enough connections for every
        # request the caps allow in flight, so none waits for a connection unseen.
        self.concurrency = self.options.max_in_flight * len(self.streams)
        super().__init__(environment)
        self._schedulers: Group | None = None
        self._pools: list[Pool] = []

    def request_name(self) -> str:
        """The scenario's requests' name in Locust and client.json: `<strategy>/<workload>`,
        as the target app keys their tasks."""
        raise NotImplementedError

    def send(self, context: Context) -> None:
        """Send one request of this scenario, passing `context` to the client."""
        raise NotImplementedError

    def make_streams(self) -> list[Stream]:
        streams = [Stream(self.request_name(), self.send, self.options.rate / self.share)]
        if self.carries_probe and self.options.probe_rate > 0:
            rps = self.options.probe_rate / self.share
            streams.append(Stream(PROBE_REQUEST, self.send_probe, rps, probe=True))
        return streams

    def send_probe(self, context: Context) -> None:
        with self.client.get(
            PROBE_ROUTE, name=PROBE_REQUEST, context=context, catch_response=True
        ) as response:
            checks.settle(response, checks.hello(checks.Answer.of(response)))

    @task
    def offer(self) -> None:
        if self._schedulers is None:
            self._start_schedules()
        if self._closed is not None:
            self._send(self._closed, intended=None, at=time.time())

    def wait_time(self) -> float:
        # Open model: the schedules send, the user only waits, and waits in Locust's waiting
        # state, so that a stop ends the offering at once instead of after the task.
        return 0.0 if self._closed is not None else 1.0

    def _start_schedules(self) -> None:
        self._schedulers = Group()
        for stream in self.streams:
            if stream.rps > 0:
                pool = Pool(self.options.max_in_flight)
                self._pools.append(pool)
                self._schedulers.spawn(self._schedule, stream, pool)

    def _schedule(self, stream: Stream, pool: Pool) -> None:
        recorder = self.session.recorder
        assert recorder is not None
        # One clock pair: perf_counter to wait on (monotonic), epoch to label the seconds.
        perf0, epoch0 = time.perf_counter(), time.time()
        # A random phase: several users' constant schedules interleave instead of firing
        # together.
        start = perf0 + random.uniform(0, 1 / stream.rps)
        for intended in arrival_times(stream.rps, self.options.arrival, start):
            _wait_until(intended - TIMER_SLACK_S)
            at = epoch0 + (intended - perf0)
            if pool.full():
                recorder.drop(stream.name, at, probe=stream.probe)
            else:
                pool.spawn(self._send, stream, intended, at)

    def _send(self, stream: Stream, intended: float | None, at: float) -> None:
        # Sent up to TIMER_SLACK_S early by design: an early send counts as on time.
        lag_us = None if intended is None else max(time.perf_counter() - intended, 0.0) * 1e6
        try:
            stream.send({Mark.KEY: Mark(at=at, lag_us=lag_us, probe=stream.probe)})
        except GreenletExit:
            # Stopped mid-request: no answer will come, and no request event either.
            recorder = self.session.recorder
            assert recorder is not None
            recorder.unfinish(stream.name, at, probe=stream.probe, scheduled=intended is not None)
            raise

    def on_stop(self) -> None:
        if self._schedulers is not None:
            self._schedulers.kill()
        try:
            if self.environment.stop_timeout:
                # A graceful stop waits for the answers; Locust kills us after --stop-timeout.
                for pool in self._pools:
                    pool.join()
        finally:
            for pool in self._pools:
                pool.kill()
