"""A lean HTTP/1.1 client for load: one keep-alive connection, requests encoded once, replies
parsed by httptools (the C parser uvicorn uses), on gevent's sockets.

Locust's FastHttpSession costs ~170 µs of CPU per request on this project's 2-core VM
(geventhttpclient's user agent, its header objects, Locust's response wrapper and
`catch_response`); this costs ~55 µs for the same GET /baseline, so one Locust process sends
several times the rate on time (measured by benchmarks/test_load_client.py and
scripts/generator-ceiling). What it leaves out is what a load generator does not need here:
redirects, cookies, TLS, chunked request bodies, retries of a request the server may have
run.

A request whose connection the server had already closed (uvicorn closes an idle keep-alive
connection after 5 s, and the connection of a request whose task raised) fails before any
byte of the reply arrives: that one is sent once more on a new connection, since the server
cannot have run it. Connections idle for over
`IDLE_REOPEN_S` are reopened before sending, so that case stays rare.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httptools
from gevent import socket as gsocket

# Below uvicorn's default keep-alive timeout (5 s): a connection idle for longer is reopened
# rather than risk the server closing it as the request goes out.
IDLE_REOPEN_S = 2.0
RECV_BYTES = 65536
CONNECT_TIMEOUT_S = 60.0  # Locust's FastHttpUser default


class ConnectionClosed(ConnectionError):
    """The server closed the connection before the reply was complete."""


@dataclass(frozen=True, slots=True)
class Call:
    """One request, as a scenario describes it: method, target (path and query), headers, body."""

    method: str
    target: str
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()

    @classmethod
    def json(cls, method: str, target: str, document: object) -> Call:
        body = json.dumps(document, separators=(",", ":")).encode()
        return cls(method, target, body, (("Content-Type", "application/json"),))

    def encode(self, host: str) -> bytes:
        """The request's bytes on the wire, for a server at `host` ("name:port")."""
        lines = [f"{self.method} {self.target} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.body or self.method in ("POST", "PUT", "PATCH"):
            lines.append(f"Content-Length: {len(self.body)}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + self.body


@dataclass(slots=True)
class Reply:
    """One response: status, headers (names lower-cased) and body. `status_code` is the name
    Locust's listeners read."""

    status_code: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Server:
    """Where requests go: resolved once, so that no (re)connect waits for a resolver."""

    family: int
    address: tuple[str, int]
    host: str  # the Host header: "name:port" as --host named it

    @classmethod
    def of(cls, base_url: str) -> Server:
        """From Locust's --host; only plain http, which is all a loopback target speaks here."""
        parts = urlsplit(base_url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"--host must be an http:// URL (got {base_url!r}): no TLS here")
        family, _, _, _, address = socket.getaddrinfo(
            parts.hostname, parts.port or 80, type=socket.SOCK_STREAM
        )[0]
        host, port = str(address[0]), int(address[1])  # IPv6 addresses carry two more fields
        return cls(family, (host, port), f"{parts.hostname}:{parts.port or 80}")


class Connection:
    """A keep-alive connection to one server, opened on first use and reopened as needed.

    It is also the parser's protocol: httptools calls `on_header`, `on_headers_complete`,
    `on_body` and `on_message_complete` as the bytes of the reply being read arrive."""

    def __init__(self, server: Server, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self.server = server
        self.connect_timeout_s = connect_timeout_s
        self._socket: Any = None
        self._parser: Any = None
        self._reply = Reply()
        self._complete = False
        self._keep_alive = False
        self._used_at = 0.0

    def exchange(self, request: bytes) -> Reply:
        """Send `request` and read its reply. Raises OSError (ConnectionClosed among them)
        when the server cannot be reached or hangs up mid-reply, and
        httptools.HttpParserError on a reply that is not HTTP; the connection is closed then."""
        reused = self._socket is not None
        if reused and time.monotonic() - self._used_at > IDLE_REOPEN_S:
            self.close()
            reused = False
        try:
            return self._exchange(request)
        except (ConnectionClosed, ConnectionResetError, BrokenPipeError):
            if not reused or self._reply.headers:
                raise
        # Closed by the server before it answered anything: an orderly close it sent before
        # our request arrived, or a reset for a request it never read (a socket closed with
        # unread data resets). Either way the request did not run.
        return self._exchange(request)

    def _exchange(self, request: bytes) -> Reply:
        if self._socket is None:
            self._open()
        sock, parser = self._socket, self._parser
        self._reply, self._complete, self._keep_alive = Reply(), False, False
        try:
            sock.sendall(request)
            while not self._complete:
                data = sock.recv(RECV_BYTES)
                if not data:
                    raise ConnectionClosed("the server closed the connection")
                parser.feed_data(data)
        except BaseException:
            self.close()
            raise
        if self._keep_alive:
            self._used_at = time.monotonic()
        else:
            self.close()
        return self._reply

    def _open(self) -> None:
        # To the resolved address: gevent's create_connection would resolve the name in a
        # thread pool first, a thread switch and ~1 ms on the loop at each reopen.
        sock = gsocket.socket(self.server.family, socket.SOCK_STREAM)
        sock.settimeout(self.connect_timeout_s)
        try:
            sock.connect(self.server.address)
        except BaseException:
            sock.close()
            raise
        # No timeout once connected: on a gevent socket each wait with one arms a timer, ~20
        # µs a request here. A request waits for its answer until the test stops, when it
        # counts as unfinished, and --max-in-flight bounds how many can wait.
        sock.settimeout(None)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._socket = sock
        self._parser = httptools.HttpResponseParser(self)

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        if self._socket is not None:
            self._socket.close()
        self._socket = self._parser = None

    # -- httptools' protocol ---------------------------------------------------------------

    def on_header(self, name: bytes, value: bytes) -> None:
        self._reply.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_headers_complete(self) -> None:
        # Read now: once the message is complete the parser has moved on to the next one,
        # and says "not keep-alive" of it.
        self._reply.status_code = self._parser.get_status_code()
        self._keep_alive = self._parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self._reply.body += body

    def on_message_complete(self) -> None:
        self._complete = True
