"""The request id: the client's `X-Request-ID` if it sent a sound one, else a new one; echoed
in the response header and recorded with every task the request queues."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Header, Response

REQUEST_ID_HEADER = "X-Request-ID"

# Echoed into logs and headers: keep it to characters that cannot forge a log line, and short.
# Declared on the parameter, so the schema states it and FastAPI refuses the rest with a 422.
SentRequestId = Annotated[
    str | None,
    Header(
        alias=REQUEST_ID_HEADER,
        min_length=1,
        max_length=128,
        pattern=r"^[A-Za-z0-9._:-]+$",
        description="your id for this request (1 to 128 of A-Z a-z 0-9 . _ : -); made if not sent",
    ),
]


async def request_id(response: Response, sent: SentRequestId = None) -> str:  # async: state.py
    rid = sent if sent is not None else uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = rid
    return rid


RequestId = Annotated[str, Depends(request_id)]
