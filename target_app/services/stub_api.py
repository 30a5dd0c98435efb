"""An embedded "external API" on loopback that answers after ?ms= milliseconds.

It runs its own uvicorn server on its own event loop in a thread, so that waiting for it is
real network I/O for the app, not a coroutine sharing the app's loop.
"""

from __future__ import annotations

import asyncio
import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from target_app.services.ports import bind_loopback


async def delay(request: Request) -> JSONResponse:
    ms = float(request.query_params.get("ms", "0"))
    await asyncio.sleep(ms / 1000)
    return JSONResponse({"slept_ms": ms})


class StubApi:
    def __init__(self) -> None:
        self._socket = bind_loopback()
        self.url = f"http://127.0.0.1:{self._socket.getsockname()[1]}"
        app = Starlette(routes=[Route("/delay", delay)])
        # log_config and log_level None: a second uvicorn.Config must not reconfigure the
        # process-wide uvicorn loggers (it would silence the app server's own messages).
        config = uvicorn.Config(
            app, log_config=None, log_level=None, access_log=False, lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="stub-api", daemon=True)

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
