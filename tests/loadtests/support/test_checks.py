from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from loadtests.support import checks
from loadtests.support.checks import Answer


@dataclass
class FakeResponse:
    status_code: int
    text: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class FailedResponse:
    error: Exception
    status_code: int = 0


def answer(status: int, body: object, **headers: str) -> Answer:
    return Answer.of(FakeResponse(status, json.dumps(body), headers))


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


def test_a_non_2xx_answer_is_read_although_locust_marks_it_with_an_error() -> None:
    response = FakeResponse(503, "{}", {"Retry-After": "2"})
    response.error = RuntimeError("503")  # type: ignore[attr-defined]
    assert checks.accepted(Answer.of(response)) == "503 rejected: queue full (Retry-After: 2)"


def test_no_answer_and_no_json_are_failures() -> None:
    assert dispatched(Answer.of(FailedResponse(ConnectionResetError()))) == (
        "no response (ConnectionResetError)"
    )
    assert dispatched(Answer.of(FakeResponse(200, "<html>"))) == "body is not a JSON object"


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


class Settled:
    def __init__(self) -> None:
        self.outcome: object = None

    def success(self) -> None:
        self.outcome = True

    def failure(self, exc: object) -> None:
        self.outcome = exc


def test_settle_marks_the_response() -> None:
    ok, bad = Settled(), Settled()
    checks.settle(ok, None)
    checks.settle(bad, "status 500, expected 200")
    assert ok.outcome is True
    assert bad.outcome == "status 500, expected 200"
