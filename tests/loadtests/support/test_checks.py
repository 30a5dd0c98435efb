from __future__ import annotations

import json

import pytest

from loadtests.support import checks
from loadtests.support.checks import Answer
from loadtests.support.http1 import Reply


def answer(status: int, body: object, **headers: str) -> Answer:
    # As the client hands headers over: names lower-cased.
    lowered = {name.lower(): value for name, value in headers.items()}
    return Answer.of(Reply(status, lowered, json.dumps(body).encode()))


DISPATCHED = {"task_ids": ["a", "b"], "request_id": "r", "strategy": "chained", "workload": "cpu"}


def dispatched(reply: Answer) -> str | None:
    return checks.dispatched(reply, strategy="chained", workload="cpu", ms=5.0, tasks=2)


def test_a_dispatch_answer_that_keeps_the_contract_passes() -> None:
    assert dispatched(answer(200, {**DISPATCHED, "ms": 5.0})) is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"strategy": "background"}, "strategy is 'background', expected 'chained'"),
        ({"workload": "sleep"}, "workload is 'sleep', expected 'cpu'"),
        ({"ms": 50.0}, "ms is 50.0, expected 5.0"),
        ({"task_ids": ["a"]}, "1 task ids, expected 2"),
        ({"task_ids": "a,b"}, "task_ids is not a list of ids"),
    ],
)
def test_a_dispatch_answer_that_breaks_it_says_how(changes: dict[str, object], reason: str) -> None:
    assert dispatched(answer(200, {**DISPATCHED, "ms": 5.0, **changes})) == reason


def test_a_full_executor_queue_reads_apart_from_other_errors() -> None:
    full = answer(503, {"detail": "queue full"}, **{"Retry-After": "1"})
    assert dispatched(full) == "503 rejected: queue full (Retry-After: 1)"
    assert dispatched(answer(503, {"detail": "down"})) == "status 503, expected 200"


def test_no_answer_and_no_json_are_failures() -> None:
    assert dispatched(Answer.failed(ConnectionResetError())) == (
        "no response (ConnectionResetError)"
    )
    assert dispatched(Answer.of(Reply(200, {}, b"<html>"))) == "body is not a JSON object"
    assert dispatched(Answer.of(Reply(200, {}, b"\xff\xfe"))) == "body is not a JSON object"
    assert checks.hello(Answer.of(Reply(200, {}, b""))) == "body is not a JSON object"


def test_accepted_answers_carry_one_task_and_the_expected_fields() -> None:
    body = {"task_id": "t", "task_ids": ["t"], "request_id": "r", "size": 3, "filename": "f"}
    assert checks.accepted(answer(202, body), size=3, filename="f") is None
    assert checks.accepted(answer(202, body), size=4) == "size is 3, expected 4"
    assert checks.accepted(answer(202, {**body, "task_id": "u"})) == "task_id is 'u', expected 't'"
    assert checks.accepted(answer(200, body)) == "status 200, expected 202"


def test_hello() -> None:
    assert checks.hello(answer(200, {"message": "Hello World"})) is None
    assert checks.hello(answer(200, {"message": "Bye"})) == (
        "message is 'Bye', expected 'Hello World'"
    )
