from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from benchmarks.asgi_driver import AsgiDriver

BLOCK_S = 0.05


class Failure(Exception):
    pass


def _app(done: list[str]) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "method": request.method,
                "path": request.url.path,
                "query": dict(request.query_params),
                "header": request.headers.get("x-test"),
                "body": (await request.body()).decode(),
            }
        )

    async def later(name: str) -> None:
        await asyncio.sleep(0.01)
        done.append(name)

    async def with_task(request: Request) -> PlainTextResponse:
        return PlainTextResponse("sent", background=BackgroundTask(later, "task"))

    async def block_loop() -> None:
        # CPU work in an async task: it holds the event loop until it is done.
        deadline = time.perf_counter() + BLOCK_S
        while time.perf_counter() < deadline:
            pass

    async def blocking_task(request: Request) -> PlainTextResponse:
        return PlainTextResponse("sent", background=BackgroundTask(block_loop))

    async def failing_task(request: Request) -> PlainTextResponse:
        async def fail() -> None:
            raise Failure("after the response")

        return PlainTextResponse("sent", background=BackgroundTask(fail))

    async def fails(request: Request) -> PlainTextResponse:
        raise Failure("before the response")

    async def stream(request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for chunk in (b"a", b"b", b"c"):
                yield chunk

        return StreamingResponse(chunks())

    return Starlette(
        routes=[
            Route("/echo", echo, methods=["GET", "POST"]),
            Route("/with-task", with_task),
            Route("/blocking-task", blocking_task),
            Route("/failing-task", failing_task),
            Route("/fails", fails),
            Route("/stream", stream),
        ]
    )


def test_request_reaches_the_app_as_sent() -> None:
    async def main() -> None:
        driver = AsgiDriver(_app([]))
        exchange = await driver.request(
            "POST", "/echo?a=1&b=two", headers=[(b"x-test", b"yes")], body=b"payload"
        )
        await exchange.finish()
        assert exchange.status == 200
        assert exchange.header("Content-Type") == "application/json"
        assert exchange.json() == {
            "method": "POST",
            "path": "/echo",
            "query": {"a": "1", "b": "two"},
            "header": "yes",
            "body": "payload",
        }

    asyncio.run(main())


def test_returns_at_the_response_and_leaves_the_background_task_running() -> None:
    async def main() -> None:
        done: list[str] = []
        exchange = await AsgiDriver(_app(done)).get("/with-task")
        assert exchange.body == b"sent"
        assert done == []
        assert not exchange.app_call.done()
        await exchange.finish()
        assert done == ["task"]

    asyncio.run(main())


def test_completed_at_is_when_the_body_was_sent_not_when_the_loop_came_back() -> None:
    async def main() -> None:
        started = time.perf_counter()
        exchange = await AsgiDriver(_app([])).get("/blocking-task")
        returned = time.perf_counter()
        await exchange.finish()
        assert exchange.completed_at - started < BLOCK_S
        assert returned - exchange.completed_at >= BLOCK_S

    asyncio.run(main())


def test_a_streamed_response_is_complete_at_its_last_chunk() -> None:
    async def main() -> None:
        exchange = await AsgiDriver(_app([])).get("/stream")
        await exchange.finish()
        assert exchange.body == b"abc"

    asyncio.run(main())


def test_an_endpoint_error_is_a_500_and_raises_from_finish() -> None:
    async def main() -> None:
        exchange = await AsgiDriver(_app([])).get("/fails")
        assert exchange.status == 500  # Starlette's ServerErrorMiddleware answered, then raised
        with pytest.raises(Failure, match="before the response"):
            await exchange.finish()

    asyncio.run(main())


def test_an_app_that_fails_before_responding_raises_from_the_request() -> None:
    async def failing(scope: Scope, receive: Receive, send: Send) -> None:
        raise Failure("before the response")

    async def main() -> None:
        with pytest.raises(Failure, match="before the response"):
            await AsgiDriver(failing).get("/")

    asyncio.run(main())


def test_a_failing_background_task_raises_from_finish() -> None:
    async def main() -> None:
        exchange = await AsgiDriver(_app([])).get("/failing-task")
        assert exchange.status == 200
        with pytest.raises(Failure, match="after the response"):
            await exchange.finish()

    asyncio.run(main())


def test_an_app_that_returns_without_a_response_is_an_error() -> None:
    async def silent(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})

    async def main() -> None:
        with pytest.raises(RuntimeError, match="without a complete response"):
            await AsgiDriver(silent).get("/")

    asyncio.run(main())


def test_after_the_response_the_client_is_gone() -> None:
    received: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        received.append((await receive())["type"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})
        received.append((await receive())["type"])

    async def main() -> None:
        exchange = await AsgiDriver(app).get("/")
        await exchange.finish()
        assert exchange.status == 204

    asyncio.run(main())
    assert received == ["http.request", "http.disconnect"]
