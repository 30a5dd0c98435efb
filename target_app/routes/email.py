"""Sending email in a background task, over real SMTP.

The guide's version takes the recipient and message as query parameters and, in copies seen
in the wild, the SMTP password too, which then lands in every access log. Here the message
comes in a validated JSON body and the SMTP credentials come from settings only.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from fastapi import APIRouter, BackgroundTasks
from pydantic import BaseModel, EmailStr, Field, StringConstraints

from target_app.answers import UNPARSABLE_BODY
from target_app.mail import send_email
from target_app.request_id import RequestId
from target_app.state import State
from target_app.tracking import run_tracked

router = APIRouter(tags=["workloads"])

# A header line: no control character (C0, DEL, C1 such as U+0085 NEL) and no Unicode line or
# paragraph separator: each of them ends a line for Python's email package (str.splitlines),
# so a subject could inject headers, or fail the task that sends it after the 202.
HeaderText = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=998, pattern=r"^[^\x00-\x1f\x7f-\x9f\u2028\u2029]*$"
    ),
]


def _any_case(name: str) -> str:
    # JSON Schema patterns have no flags; the domain is matched case-insensitively.
    return "".join(f"[{char}{char.upper()}]" if char.isalpha() else char for char in name)


# What email-validator refuses that `format: email` (RFC 5321) allows, stated in the schema:
# a quoted local part or an [IP] literal, a domain without a dot or whose last label does not
# end in a letter (no TLD does), and the special-use domains of RFC 6761 and kin (.test,
# .localhost, .invalid, ...), which no mail can reach.
_RESERVED = "|".join(_any_case(name) for name in SPECIAL_USE_DOMAIN_NAMES)
_NOT_IN_AN_ADDRESS = r'@"\[\]\s'
Recipient = Annotated[
    EmailStr,
    Field(
        description=(
            "no quoted local part or [IP], a dot in the domain, a top-level domain ending "
            f"in a letter, none of .{', .'.join(SPECIAL_USE_DOMAIN_NAMES)}"
        ),
        json_schema_extra={
            "pattern": (
                f"^[^{_NOT_IN_AN_ADDRESS}]+@[^{_NOT_IN_AN_ADDRESS}]+"
                f"\\.[^{_NOT_IN_AN_ADDRESS}.]*[A-Za-z]$"
            ),
            "not": {"pattern": f"[@.]({_RESERVED})$"},
        },
    ),
]


class EmailRequest(BaseModel):
    to: Recipient
    subject: HeaderText
    message: str = Field(max_length=100_000)


class Accepted(BaseModel):
    task_id: str
    task_ids: list[str]
    request_id: str


@router.post("/send-email", status_code=202, response_model=Accepted, responses=UNPARSABLE_BODY)
async def send_email_route(
    email: EmailRequest, state: State, rid: RequestId, background_tasks: BackgroundTasks
) -> Accepted:
    task_id = state.ledger.enqueue("background/email", rid)
    send = partial(send_email, state.smtp, str(email.to), email.subject, email.message)
    background_tasks.add_task(run_tracked, state.ledger, task_id, send, guarded=True)
    return Accepted(task_id=task_id, task_ids=[task_id], request_id=rid)
