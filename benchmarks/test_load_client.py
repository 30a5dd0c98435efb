"""What the load generator spends on one request (group `load-client`): the lean client's
exchange over loopback with a server that answers at once, and the bookkeeping after it
(reading and checking the answer, recording it in the per-second HDR tallies).

The server is a gevent StreamServer in this process, answering /baseline's exact reply
without parsing, so its share is small and constant: a change in the table is the client's.
The scheduling and Locust's request event are left out; `scripts/generator-ceiling` measures
the whole generator, rate by rate.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gevent.server import StreamServer

from benchmarks.benchmark_api import Benchmark
from loadtests.support import checks
from loadtests.support.checks import Answer
from loadtests.support.http1 import Call, Connection, Reply, Server
from loadtests.support.recording import Outcome, Recorder

pytestmark = pytest.mark.benchmark(group="load-client")

HELLO = b'{"message":"Hello World"}'
REPLY = (
    b"HTTP/1.1 200 OK\r\ndate: Wed, 02 Dec 2026 13:27:11 GMT\r\nserver: uvicorn\r\n"
    b"content-length: 25\r\ncontent-type: application/json\r\n\r\n" + HELLO
)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    def answer(sock: object, _address: object) -> None:
        # One reply per read: the client sends each request in one write and waits.
        while sock.recv(65536):  # type: ignore[attr-defined]
            sock.sendall(REPLY)  # type: ignore[attr-defined]
        sock.close()  # type: ignore[attr-defined]

    listening = StreamServer(("127.0.0.1", 0), answer)
    listening.start()
    yield Server.of(f"http://127.0.0.1:{listening.server_port}")
    listening.stop()


def test_exchange(benchmark: Benchmark, server: Server) -> None:
    wire = Call("GET", "/baseline").encode(server.host)
    with Connection(server) as connection:
        reply = benchmark(connection.exchange, wire)
    assert (reply.status_code, reply.body) == (200, HELLO)


def test_check_and_record(benchmark: Benchmark) -> None:
    recorder = Recorder(run=0.0, measure_from=0.0)
    reply = Reply(200, {"content-type": "application/json"}, HELLO)

    def settle() -> None:
        problem = checks.hello(Answer.of(reply))
        recorder.record(Outcome("none/baseline", 1e9, 412.0, 3.0, problem is not None, 200, False))

    benchmark(settle)
    [(_, tally)] = recorder._tallies.items()
    assert tally.failures == 0
    assert tally.count >= 1
