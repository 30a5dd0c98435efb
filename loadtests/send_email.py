"""Email sent by a background task over real SMTP (the app's own loopback server unless
BGBENCH_SMTP_HOST is set): POST /send-email answers 202 before the message goes out."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support import checks
from loadtests.support.checks import Answer
from loadtests.support.http1 import Call
from loadtests.support.open_model import OpenModelUser


class SendEmail(OpenModelUser):
    def request_name(self) -> str:
        return "background/email"

    def call(self) -> Call:
        message = {
            "to": self.options.email_to,
            "subject": "bgbench",
            "message": "Hello from bgbench",
        }
        return Call.json("POST", "/send-email", message)

    def check(self, answer: Answer) -> str | None:
        return checks.accepted(answer)


if __name__ == "__main__":
    run_single_user(SendEmail)
