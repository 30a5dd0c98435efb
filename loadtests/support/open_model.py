"""The open-model user: requests offered at a fixed rate, whatever the server does.

A closed-model user (Locust's usual one) sends its next request when the previous one is
answered, so a stalled server is offered less load and its stall hides from the numbers
(coordinated omission). An `OpenModelUser` sends on a schedule instead: at intended times
t0 + i/rate (`--arrival constant`) or with exponential gaps (`poisson`), each request handed
to an idle sender of its own (`senders.Senders`: a greenlet with a keep-alive connection of
its own, `http1.Connection`). Each response is recorded twice: from the actual send
(uncorrected) and from the intended send (corrected, which is what a user arriving at that
time waits). The difference, the send lag, is recorded too, for every request sent: it is the
generator's own lateness, large when one process cannot keep up with its schedule.

At most `--max-in-flight` requests of a stream are in flight per user; a request due while
the cap is reached is not sent and counts as dropped (k6's dropped iterations), never
queued, so the generator cannot pile up unbounded work. `--rate` is for the whole test and is
split evenly over the users it started with (across worker processes too). With `--rate 0`
the same user runs a classic closed loop, on one connection. `--probe-rate` adds a second
stream of `/baseline-sync` requests to any scenario, recorded under its own name.

Every answer fires Locust's request event, so Locust's statistics, web UI, CSV files and
distributed mode see each request as they would from its own HTTP users; bgbench's recorder
(`hooks.Session.on_request`) is one more listener of that event.

A scenario says what one request is (`call`), how its answer is checked (`check`, one of
`checks`), and under which name it is recorded (`request_name`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import ClassVar

import gevent
import httptools
from gevent import GreenletExit
from gevent.pool import Group
from locust import User, task
from locust.env import Environment
from locust.exception import CatchResponseError

from bgbench.contract import PROBE_REQUEST, PROBE_ROUTE
from loadtests.support import checks, hooks
from loadtests.support.arrivals import arrival_times
from loadtests.support.checks import Answer
from loadtests.support.http1 import Call, Connection, Reply, Server
from loadtests.support.recording import Mark
from loadtests.support.senders import Senders

PROBE_CALL = Call("GET", PROBE_ROUTE)
# What a failed exchange raises: no HTTP answer (refused, reset, timed out, closed mid-reply)
# or one that is not HTTP. Anything else is a bug and propagates.
NO_ANSWER = (OSError, httptools.HttpParserError)

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
    call: Call
    wire: bytes  # `call` encoded for the user's host, once
    check: Callable[[Answer], str | None]
    rps: float  # this user's share; 0 = a closed loop
    probe: bool = False


# (intended send, perf_counter; epoch second it is labelled with)
Ticket = tuple[float, float]


def _wait_until(deadline: float) -> None:
    """Sleep until `deadline` (perf_counter), yielding even when it has passed so that
    answers keep being read while the schedule catches up."""
    gevent.sleep(max(deadline - time.perf_counter(), 0.0))
    # A gevent timer counts from the loop's cached clock, which lags behind after a busy
    # stretch of the same loop iteration, so a sleep may end early: sleep on until due.
    while (left := deadline - time.perf_counter()) > 0:
        gevent.sleep(left)


class OpenModelUser(User):
    abstract = True
    carries_probe: ClassVar[bool] = True  # whether --probe-rate adds a probe stream

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self.session = hooks.session(environment)
        assert self.session.run is not None, "a user started before the test run did"
        self.options = self.session.run.options
        self.share = self.session.users_sharing_rate()
        if self.host is None:
            raise ValueError("no --host: say where the target app listens")
        self.server = Server.of(self.host)
        # Locust's EventHook.fire is unannotated: typed here, once.
        self._fire_request: Callable[..., None] = environment.events.request.fire
        self.streams = self.make_streams()
        # The stream run as a closed loop in the user's own greenlet, if any (--rate 0).
        self._closed = next((stream for stream in self.streams if stream.rps == 0), None)
        self._connection: Connection | None = None  # the closed loop's
        self._schedulers: Group | None = None
        self._senders: list[Senders[Ticket]] = []

    def request_name(self) -> str:
        """The scenario's requests' name in Locust and client.json: `<strategy>/<workload>`,
        as the target app keys their tasks."""
        raise NotImplementedError

    def call(self) -> Call:
        """The scenario's request (asked once per user: the options do not change)."""
        raise NotImplementedError

    def check(self, answer: Answer) -> str | None:
        """Why `answer` breaks the scenario's contract, or None (see `checks`)."""
        raise NotImplementedError

    def stream(
        self,
        name: str,
        call: Call,
        check: Callable[[Answer], str | None],
        rps: float,
        *,
        probe: bool = False,
    ) -> Stream:
        return Stream(name, call, call.encode(self.server.host), check, rps, probe)

    def make_streams(self) -> list[Stream]:
        streams = [
            self.stream(
                self.request_name(), self.call(), self.check, self.options.rate / self.share
            )
        ]
        if self.carries_probe and self.options.probe_rate > 0:
            streams.append(self.probe_stream(self.options.probe_rate / self.share))
        return streams

    def probe_stream(self, rps: float) -> Stream:
        return self.stream(PROBE_REQUEST, PROBE_CALL, checks.hello, rps, probe=True)

    def connect(self) -> Connection:
        return Connection(self.server)

    @task
    def offer(self) -> None:
        if self._schedulers is None:
            self._start_schedules()
        if self._closed is not None:
            if self._connection is None:
                self._connection = self.connect()
            self._exchange(self._connection, self._closed, None, time.time())

    def wait_time(self) -> float:
        # Open model: the schedules send, the user only waits, and waits in Locust's waiting
        # state, so that a stop ends the offering at once instead of after the task.
        return 0.0 if self._closed is not None else 1.0

    def _start_schedules(self) -> None:
        self._schedulers = Group()
        for stream in self.streams:
            if stream.rps > 0:
                senders: Senders[Ticket] = Senders(
                    self.options.max_in_flight, self.connect, partial(self._send_ticket, stream)
                )
                self._senders.append(senders)
                self._schedulers.spawn(self._schedule, stream, senders)

    def _schedule(self, stream: Stream, senders: Senders[Ticket]) -> None:
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
            if self.session.stopping:  # the run is over (hooks.Session.on_test_stopping)
                self.session.skipped_for_the_stop(at)
                return
            if not senders.offer((intended, at)):
                recorder.drop(stream.name, at, probe=stream.probe)

    def _send_ticket(self, stream: Stream, connection: Connection, ticket: Ticket) -> None:
        self._exchange(connection, stream, *ticket)

    def _exchange(
        self, connection: Connection, stream: Stream, intended: float | None, at: float
    ) -> None:
        """Send one request of `stream` and fire Locust's request event with its answer."""
        sent = time.perf_counter()
        # Sent up to TIMER_SLACK_S early by design: an early send counts as on time.
        lag_us = None if intended is None else max(sent - intended, 0.0) * 1e6
        reply: Reply | None = None
        try:
            reply = connection.exchange(stream.wire)
            answer = Answer.of(reply)
        except GreenletExit:
            # Stopped mid-request: no answer will come, and no request event either.
            recorder = self.session.recorder
            assert recorder is not None
            recorder.unfinish(stream.name, at, probe=stream.probe, scheduled=intended is not None)
            raise
        except NO_ANSWER as error:
            answer = Answer.failed(error)
        response_ms = (time.perf_counter() - sent) * 1000
        problem = stream.check(answer)
        self._fire_request(
            request_type=stream.call.method,
            name=stream.name,
            response_time=response_ms,
            response_length=0 if reply is None else len(reply.body),
            # As Locust's catch_response reports a response.failure(reason).
            exception=None if problem is None else CatchResponseError(problem),
            context={Mark.KEY: Mark(at=at, lag_us=lag_us, probe=stream.probe)},
            response=reply,
            url=stream.call.target,
            start_time=time.time() - response_ms / 1000,
        )

    def on_stop(self) -> None:
        if self._schedulers is not None:
            self._schedulers.kill()
        try:
            if self.environment.stop_timeout:
                # A graceful stop waits for the answers; Locust kills us after --stop-timeout.
                for senders in self._senders:
                    senders.wait_quiet()
        finally:
            for senders in self._senders:
                senders.kill()
            if self._connection is not None:
                self._connection.close()
