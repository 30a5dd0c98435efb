"""The senders' bookkeeping, with a send that waits for the test's word instead of a server."""

from __future__ import annotations

import gevent
from gevent import GreenletExit
from gevent.event import Event

from loadtests.support.http1 import Connection, Server
from loadtests.support.senders import Senders

SERVER = Server.of("http://127.0.0.1:9")  # never connected to: these sends do no I/O


class Sends:
    """Records which connection sent which ticket; each send waits until `go` is set."""

    def __init__(self) -> None:
        self.go = Event()
        self.sent: list[tuple[int, str]] = []
        self.connections: list[Connection] = []
        self.killed: list[str] = []

    def connect(self) -> Connection:
        self.connections.append(Connection(SERVER))
        return self.connections[-1]

    def send(self, connection: Connection, ticket: str) -> None:
        try:
            self.go.wait()
        except GreenletExit:
            self.killed.append(ticket)
            raise
        self.sent.append((self.connections.index(connection), ticket))


def test_a_ticket_over_the_cap_is_refused_and_none_waits() -> None:
    sends = Sends()
    senders: Senders[str] = Senders(2, sends.connect, sends.send)
    assert senders.offer("a")
    assert senders.offer("b")
    assert not senders.offer("c")  # both busy: the caller drops it
    assert senders.busy == 2
    sends.go.set()
    senders.wait_quiet()
    assert sorted(ticket for _, ticket in sends.sent) == ["a", "b"]
    assert senders.busy == 0
    assert senders.offer("d")  # free again
    senders.wait_quiet()
    senders.kill()


def test_an_idle_sender_is_reused_before_a_new_one_is_made() -> None:
    sends = Sends()
    sends.go.set()
    senders: Senders[str] = Senders(10, sends.connect, sends.send)
    for ticket in "abc":
        assert senders.offer(ticket)
        senders.wait_quiet()
        gevent.sleep(0)  # the sender parks itself again after its send
    assert sends.sent == [(0, "a"), (0, "b"), (0, "c")]
    assert len(sends.connections) == 1
    senders.kill()


def test_kill_stops_a_send_midway_and_the_idle_ones() -> None:
    sends = Sends()
    senders: Senders[str] = Senders(3, sends.connect, sends.send)
    assert senders.offer("a")
    assert senders.offer("b")
    gevent.sleep(0)  # both start and wait
    senders.kill()
    assert sorted(sends.killed) == ["a", "b"]
    assert sends.sent == []
    assert senders.busy == 0
