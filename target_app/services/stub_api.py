"""An embedded "external API" on loopback that answers after ?ms= milliseconds.

It runs its own uvicorn server on its own event loop in a thread, so that waiting for it is
real network I/O for the app, not a coroutine sharing the app's loop.
"""

from __future__ import annotations

import asyncio
import threading

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
        config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._run, name="stub-api", daemon=True)

    def _run(self) -> None:
        self._server.run(sockets=[self._socket])

    def start(self, timeout_s: float = 10.0) -> None:
        self._thread.start()
        deadline = threading.Event()
        for _ in range(int(timeout_s * 100)):
            if self._server.started:
                return
            deadline.wait(0.01)
        raise RuntimeError(f"embedded stub API did not start within {timeout_s} s")

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=5)
        self._socket.close()
