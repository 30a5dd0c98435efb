"""The load client against a scripted HTTP server of the test's own on a loopback port: real
sockets and real bytes, with the server misbehaving in the ways a load run meets (keep-alive
closed while idle, a reply cut off, a reply that is not HTTP)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import httptools
import pytest
from gevent.server import StreamServer

from loadtests.support.http1 import Call, Connection, ConnectionClosed, Server

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"


@dataclass
class Script:
    """What the server does with each request it reads: the bytes it answers, and whether it
    then hangs up. `requests` holds each request's bytes by connection, in order."""

    reply: Callable[[int, int], tuple[bytes, bool]]  # (connection, request) -> (bytes, close)
    requests: list[list[bytes]] = field(default_factory=list)


def _read_request(sock: object, buffered: bytearray) -> bytes | None:
    """One request (head, and a body as long as its Content-Length), or None at EOF."""
    while b"\r\n\r\n" not in buffered:
        data = sock.recv(65536)  # type: ignore[attr-defined]
        if not data:
            return None
        buffered += data
    head, _, rest = bytes(buffered).partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    while len(rest) < length:
        rest += sock.recv(65536)  # type: ignore[attr-defined]
    buffered[:] = rest[length:]
    return head + b"\r\n\r\n" + rest[:length]


@pytest.fixture
def serve() -> Iterator[Callable[[Script], Server]]:
    servers: list[StreamServer] = []

    def start(script: Script) -> Server:
        def handle(sock: object, _address: object) -> None:
            index = len(script.requests)
            script.requests.append([])
            buffered = bytearray()
            while (request := _read_request(sock, buffered)) is not None:
                script.requests[index].append(request)
                answer, close = script.reply(index, len(script.requests[index]) - 1)
                sock.sendall(answer)  # type: ignore[attr-defined]
                if close:
                    break
            sock.close()  # type: ignore[attr-defined]

        server = StreamServer(("127.0.0.1", 0), handle)
        server.start()
        servers.append(server)
        return Server.of(f"http://127.0.0.1:{server.server_port}")

    yield start
    for server in servers:
        server.stop()


def test_requests_share_one_keep_alive_connection(serve: Callable[[Script], Server]) -> None:
    script = Script(lambda _c, _r: (OK, False))
    wire = Call("GET", "/baseline").encode("127.0.0.1")
    with Connection(serve(script)) as connection:
        replies = [connection.exchange(wire) for _ in range(3)]
    assert [(r.status_code, r.body) for r in replies] == [(200, b"{}")] * 3
    assert replies[0].headers["content-type"] == "application/json"
    assert [len(requests) for requests in script.requests] == [3]
    assert script.requests[0][0] == b"GET /baseline HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


CLOSING = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"


@pytest.mark.parametrize(
    "reply",
    [
        # Said so: the client reconnects for the next request.
        pytest.param(CLOSING, id="connection-close"),
        # Unannounced, after an answer that promised keep-alive (as uvicorn does after a task
        # raised, or with an idle connection): the next request meets a closed socket. It
        # never reached the app, so it goes out again, once, on a new connection.
        pytest.param(OK, id="closed-unannounced"),
    ],
)
def test_a_connection_the_server_closed_is_replaced_and_nothing_sent_twice(
    serve: Callable[[Script], Server], reply: bytes
) -> None:
    script = Script(lambda _c, _r: (reply, True))
    wire = Call("GET", "/").encode("h")
    with Connection(serve(script)) as connection:
        assert connection.exchange(wire).status_code == 200
        assert connection.exchange(wire).status_code == 200
    assert [len(requests) for requests in script.requests] == [1, 1]


def test_a_reply_cut_off_midway_fails_and_is_not_sent_again(
    serve: Callable[[Script], Server],
) -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}"
    script = Script(lambda _c, _r: (cut, True))
    connection = Connection(serve(script))
    with pytest.raises(ConnectionClosed):
        connection.exchange(Call("GET", "/").encode("h"))
    assert [len(requests) for requests in script.requests] == [1]


def test_a_reply_that_is_not_http_is_a_parser_error(serve: Callable[[Script], Server]) -> None:
    connection = Connection(serve(Script(lambda _c, _r: (b"SSH-2.0-OpenSSH\r\n", True))))
    with pytest.raises(httptools.HttpParserError):
        connection.exchange(Call("GET", "/").encode("h"))


def test_a_json_post_carries_its_body_and_length(serve: Callable[[Script], Server]) -> None:
    script = Script(lambda _c, _r: (OK, False))
    call = Call.json("POST", "/send-email", {"to": "a@example.com"})
    with Connection(serve(script)) as connection:
        assert connection.exchange(call.encode("h:1")).status_code == 200
    [[request]] = script.requests
    assert request == (
        b"POST /send-email HTTP/1.1\r\nHost: h:1\r\nContent-Type: application/json\r\n"
        b'Content-Length: 22\r\n\r\n{"to":"a@example.com"}'
    )


def test_an_empty_post_says_its_length_is_zero() -> None:
    assert (
        Call("POST", "/x").encode("h")
        == b"POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
    )


def test_nothing_listening_is_an_os_error() -> None:
    # A port just freed by a server of our own: nothing listens there now.
    probe = StreamServer(("127.0.0.1", 0), lambda *_: None)
    probe.start()
    port = probe.server_port
    probe.stop()
    with pytest.raises(OSError):  # noqa: PT011  # refused; the errno is the OS's
        Connection(Server.of(f"http://127.0.0.1:{port}")).exchange(Call("GET", "/").encode("h"))


@pytest.mark.parametrize("url", ["https://127.0.0.1:8443", "127.0.0.1:8000", "http://"])
def test_only_plain_http_urls_are_accepted(url: str) -> None:
    with pytest.raises(ValueError, match="must be an http:// URL"):
        Server.of(url)


def test_the_host_header_is_the_name_given() -> None:
    server = Server.of("http://localhost:8123")
    assert server.host == "localhost:8123"
    assert server.address[1] == 8123
