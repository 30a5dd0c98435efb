"""/send-email: real SMTP, to the embedded server and to one the test runs itself."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from aiosmtpd.controller import Controller

from sweep.target import TargetProcess
from target_app.services.ports import free_loopback_port
from target_app.services.smtp_server import CountingHandler
from tests.conftest import StartTarget
from tests.target_app.helpers import wait_for_task

EMAIL = {"to": "ada@example.com", "subject": "Your report", "message": "It is ready."}


@pytest.fixture
def smtp_server() -> Iterator[tuple[CountingHandler, int]]:
    handler = CountingHandler()
    port = free_loopback_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def test_an_email_arrives_at_the_configured_smtp_server(
    start_target: StartTarget, smtp_server: tuple[CountingHandler, int]
) -> None:
    handler, port = smtp_server
    target = start_target(smtp_host="127.0.0.1", smtp_port=port)
    with httpx.Client(base_url=target.url, timeout=30) as client:
        response = client.post("/send-email", json=EMAIL)
        assert response.status_code == 202
        task = wait_for_task(client, response.json()["task_id"])
    assert task["status"] == "done"
    assert handler.received == 1
    (message,) = handler.recent
    assert message.recipients == ("ada@example.com",)
    assert message.subject == "Your report"


def test_without_smtp_settings_the_embedded_server_receives_it(
    default_target_for_email: httpx.Client,
) -> None:
    client = default_target_for_email
    before = client.get("/metrics").json()["email"]
    task_id = client.post("/send-email", json=EMAIL).json()["task_id"]
    assert wait_for_task(client, task_id)["status"] == "done"
    after = client.get("/metrics").json()["email"]
    assert after["smtp_server"] == "embedded"
    assert after["received"] == before["received"] + 1


def test_an_unreachable_smtp_server_is_a_logged_failure(start_target: StartTarget) -> None:
    target = start_target(smtp_host="127.0.0.1", smtp_port=free_loopback_port(), smtp_timeout_s=2)
    with httpx.Client(base_url=target.url, timeout=30) as client:
        response = client.post("/send-email", json=EMAIL)
        task = wait_for_task(client, response.json()["task_id"])
    assert task["status"] == "failed"
    assert "ConnectionRefusedError" in task["error"]
    assert response.headers["X-Request-ID"] in target.log_path.read_text()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**EMAIL, "to": "not-an-address"}, "to"),
        ({**EMAIL, "subject": "Hi\r\nBcc: everyone@example.com"}, "subject"),
        # Line ends for Python's email package too: accepted, they failed the task after the 202.
        ({**EMAIL, "subject": "Hi\u2028Bcc: everyone@example.com"}, "subject"),
        ({**EMAIL, "subject": "Hi\u0085there"}, "subject"),
        ({**EMAIL, "subject": "Hi\x00there"}, "subject"),
        ({"to": "ada@example.com", "message": "no subject"}, "subject"),
    ],
)
def test_bad_email_requests_are_a_422(
    default_target_for_email: httpx.Client, body: dict[str, str], field: str
) -> None:
    response = default_target_for_email.post("/send-email", json=body)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == field


@pytest.fixture
def default_target_for_email(default_target: object) -> Iterator[httpx.Client]:
    from sweep.target import TargetProcess

    assert isinstance(default_target, TargetProcess)
    with httpx.Client(base_url=default_target.url, timeout=30) as client:
        yield client


def test_a_refused_subject_is_not_echoed_whole(default_target: TargetProcess) -> None:
    # Any refused field, not only the request id: the 422 echoed a 100,000-character subject.
    body = {"to": "a@example.com", "subject": "x" * 100_000, "message": "m"}
    response = httpx.post(f"{default_target.url}/send-email", json=body)
    assert response.status_code == 422
    assert len(response.content) < 1000
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "subject"]
    assert error["input"].endswith("(100,000 characters)")
