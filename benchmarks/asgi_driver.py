"""An in-process ASGI client that returns when the response is complete, not the app call.

httpx's ASGITransport awaits the whole app call, and Starlette runs an endpoint's background
tasks inside that call, after the last body message: it would time response + background work.
The user's wait ends at the last body message, so `AsgiDriver` notes that moment and returns,
leaving the rest of the call running as a task on the same loop; the caller awaits it
(`Exchange.finish`) when and where it chooses, e.g. outside the timed stretch.

The connection behaves as uvicorn's does, so the app takes the same paths as in production:
ASGI spec 2.3 (Starlette then listens for a disconnect while it streams a response), and
`receive` waits until the response is complete, then reports the client gone.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Scope

Headers = Sequence[tuple[bytes, bytes]]


@dataclass
class Exchange:
    """One request and its response, and what is left of the app call."""

    method: str
    target: str
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    completed_at: float  # time.perf_counter() when the last body message was sent
    app_call: asyncio.Future[None]

    def header(self, name: str) -> str | None:
        wanted = name.lower().encode("latin-1")
        for key, value in self.headers:
            if key.lower() == wanted:
                return value.decode("latin-1")
        return None

    def json(self) -> Any:
        return json.loads(self.body)

    async def finish(self) -> None:
        """Wait for the rest of the app call (its background tasks); re-raises what it raised."""
        await self.app_call


@dataclass
class _Connection:
    """The ASGI conversation of one request, as the server side sees it."""

    body: bytes
    complete: asyncio.Event = field(default_factory=asyncio.Event)
    request_sent: bool = False
    status: int | None = None
    headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    chunks: list[bytes] = field(default_factory=list)
    completed_at: float | None = None

    async def receive(self) -> Message:
        if not self.request_sent:
            self.request_sent = True
            return {"type": "http.request", "body": self.body, "more_body": False}
        await self.complete.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
            self.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                # The user's clock stops here: uvicorn has written the bytes to the socket
                # by now, whatever the app goes on to do on this loop.
                self.completed_at = time.perf_counter()
                self.complete.set()


class AsgiDriver:
    def __init__(self, app: ASGIApp, lifespan_state: dict[str, Any] | None = None) -> None:
        self.app = app
        self.lifespan_state = lifespan_state or {}

    async def get(self, target: str, headers: Headers = ()) -> Exchange:
        return await self.request("GET", target, headers)

    async def request(
        self, method: str, target: str, headers: Headers = (), body: bytes = b""
    ) -> Exchange:
        """Send one request (`target` is the path and query string); return once the response
        is complete. Raises what the app raised if it ended without a complete response."""
        path, _, query = target.partition("?")
        scope: Scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode("ascii"),
            "query_string": query.encode("ascii"),
            "root_path": "",
            "headers": [(b"host", b"127.0.0.1"), *headers],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": self.lifespan_state.copy(),
        }
        connection = _Connection(body)
        app_call = asyncio.ensure_future(self.app(scope, connection.receive, connection.send))
        # An app that fails, or returns without finishing its response, must end the wait too.
        app_call.add_done_callback(lambda _: connection.complete.set())
        await connection.complete.wait()
        if connection.status is None or connection.completed_at is None:
            await app_call
            raise RuntimeError(f"{method} {target}: the app returned without a complete response")
        return Exchange(
            method=method,
            target=target,
            status=connection.status,
            headers=connection.headers,
            body=b"".join(connection.chunks),
            completed_at=connection.completed_at,
            app_call=app_call,
        )
