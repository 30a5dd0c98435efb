"""What the app answers when it refuses a request: the bodies, the OpenAPI `responses` that
declare them, and the 422 handler that never echoes more than a glimpse of what it refused."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from target_app.request_id import REQUEST_ID_HEADER

# What of a refused value the 422 echoes back: enough to recognise it, never a megabyte.
ECHO_LIMIT = 64
# A refused object or list (a whole JSON body) is echoed whole only up to this size.
ECHO_LIMIT_JSON = 1024


class Refused(BaseModel):
    """A request the app could not take now (503) or at all (413)."""

    detail: str
    request_id: str


class Detail(BaseModel):
    """FastAPI's own error body: a 404, or a 400 for a body it could not parse."""

    detail: str


_REQUEST_ID = {
    REQUEST_ID_HEADER: {
        "description": "the request's id: the one sent, or a new one",
        "schema": {"type": "string"},
    }
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "seconds to wait before trying again",
        "schema": {"type": "integer"},
    }
}


def refused(status: int, description: str, *, retry: bool = False) -> dict[int | str, Any]:
    """The `responses=` entry of a refusal answered with a `Refused` body."""
    headers = {**_REQUEST_ID, **(_RETRY_AFTER if retry else {})}
    return {status: {"model": Refused, "description": description, "headers": headers}}


def detailed(status: int, description: str) -> dict[int | str, Any]:
    """The `responses=` entry of an answer with a `Detail` body."""
    return {status: {"model": Detail, "description": description}}


# FastAPI's answer to a body it cannot parse: JSON that is not UTF-8, a broken multipart form.
UNPARSABLE_BODY = detailed(400, "The body could not be parsed")


def invalid_input(location: str, name: str, message: str, value: object) -> RequestValidationError:
    """A check FastAPI cannot make from a declaration, refused like one it makes (a 422)."""
    return RequestValidationError(
        [{"type": "value_error", "loc": (location, name), "msg": message, "input": value}]
    )


def _echo(value: object) -> object:
    if isinstance(value, str):
        if len(value) > ECHO_LIMIT:
            return f"{value[:ECHO_LIMIT]}… ({len(value):,} characters)"
        return value
    encoded = jsonable_encoder(value)
    size = len(json.dumps(encoded))
    return encoded if size <= ECHO_LIMIT_JSON else f"({size:,} characters of JSON, not echoed)"


async def validation_failed(request: Request, exc: Exception) -> JSONResponse:
    """FastAPI's 422, with every refused input cut short: a 50 MB header or a 1 MB email
    subject was echoed whole, so a client could double any request's size on the way back."""
    assert isinstance(exc, RequestValidationError)  # registered for this type only
    errors = [
        {**error, "input": _echo(error["input"])} if "input" in error else error
        for error in exc.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)
