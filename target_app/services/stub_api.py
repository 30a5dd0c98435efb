"""An embedded "external API" on loopback that answers after ?ms= milliseconds.

It runs its own uvicorn server on its own event loop in a thread, so that waiting for it is
real network I/O for the app, not a coroutine sharing the app's loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from target_app.services.ports import bind_loopback


async def delay(request: Request) -> JSONResponse:
    ms = float(request.query_params.get("ms", "0"))
    await asyncio.sleep(ms / 1000)
    return JSONResponse({"slept_ms": ms})


THREAD = "stub-api"


class _UnloggedProtocol(HttpToolsProtocol):
    """The stub's requests are the app's own outgoing calls, not requests to the app: never
    in its access log."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = False


class _NotFromTheStub(logging.Filter):
    """Keeps the stub's own server messages ("Started server process", ...) out of the app's
    log, where they read as a second app starting."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.threadName != THREAD


class StubApi:
    def __init__(self) -> None:
        self._socket = bind_loopback()
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        app = Starlette(routes=[Route("/delay", delay)])
        # log_config and log_level None, access_log True: a second uvicorn.Config must not
        # reconfigure the process-wide uvicorn loggers (access_log=False empties the
        # "uvicorn.access" handlers, and with them the app's --access-log).
        config = uvicorn.Config(
            app,
            log_config=None,
            log_level=None,
            access_log=True,
            http=_UnloggedProtocol,
            lifespan="off",
        )
        logging.getLogger("uvicorn.error").addFilter(_NOT_FROM_THE_STUB)
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name=THREAD, daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError(f"embedded stub API did not start within {timeout_s} s")
            time.sleep(0.01)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()
        logging.getLogger("uvicorn.error").removeFilter(_NOT_FROM_THE_STUB)


_NOT_FROM_THE_STUB = _NotFromTheStub()
