"""A capped set of senders, each a greenlet that keeps its own keep-alive connection.

The open model's schedule hands every due request to an idle sender, or drops it when all
`cap` senders are busy: no greenlet is spawned and no connection looked up per request (a
spawn alone cost ~16 µs here), and a request never waits for a connection unseen. Senders are
made on demand and reused last-in first-out, so a fast server is served by the few warm
connections it needs while a stalling one gets up to `cap` of them, as many as requests in
flight.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

import gevent
from gevent.event import Event
from gevent.hub import Waiter, get_hub

from loadtests.support.http1 import Connection

Ticket = TypeVar("Ticket")


class Senders(Generic[Ticket]):
    def __init__(
        self,
        cap: int,
        connect: Callable[[], Connection],
        send: Callable[[Connection, Ticket], None],
    ) -> None:
        self.cap = cap
        self._connect, self._send = connect, send
        self._idle: list[Waiter[Ticket]] = []  # one per idle sender, parked until handed one
        self._greenlets: list[gevent.Greenlet] = []
        self._busy = 0
        self._quiet = Event()  # set whenever no sender is busy
        self._quiet.set()

    @property
    def busy(self) -> int:
        return self._busy

    def offer(self, ticket: Ticket) -> bool:
        """Hand `ticket` to an idle sender, or to a new one while under the cap; False when
        every sender is busy (the caller drops it)."""
        if self._idle:
            waiter = self._idle.pop()
            # A Waiter is switched to from the hub only: the sender runs on the loop's next turn.
            get_hub().loop.run_callback(waiter.switch, ticket)
        elif len(self._greenlets) < self.cap:
            self._greenlets.append(gevent.spawn(self._run, ticket))
        else:
            return False
        self._busy += 1
        self._quiet.clear()
        return True

    def _run(self, ticket: Ticket) -> None:
        connection = self._connect()
        try:
            while True:
                try:
                    self._send(connection, ticket)
                finally:
                    self._busy -= 1
                    if self._busy == 0:
                        self._quiet.set()
                waiter: Waiter[Ticket] = Waiter()
                self._idle.append(waiter)
                ticket = waiter.get()
        finally:
            connection.close()

    def wait_quiet(self) -> None:
        """Until no request is in flight (Locust's --stop-timeout bounds the wait)."""
        self._quiet.wait()

    def kill(self) -> None:
        """Stop every sender; one killed mid-request raises GreenletExit in `send`."""
        gevent.killall(self._greenlets)
        self._greenlets.clear()
        self._idle.clear()
