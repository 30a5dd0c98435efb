"""Email sent by a background task over real SMTP (the app's own loopback server unless
BGBENCH_SMTP_HOST is set): POST /send-email answers 202 before the message goes out."""

from __future__ import annotations

from locust import run_single_user

from loadtests.support import checks
from loadtests.support.open_model import Context, OpenModelUser


class SendEmail(OpenModelUser):
    def request_name(self) -> str:
        return "background/email"

    def send(self, context: Context) -> None:
        message = {
            "to": self.options.email_to,
            "subject": "bgbench",
            "message": "Hello from bgbench",
        }
        with self.client.post(
            "/send-email",
            json=message,
            name=self.request_name(),
            context=context,
            catch_response=True,
        ) as response:
            checks.settle(response, checks.accepted(checks.Answer.of(response)))


if __name__ == "__main__":
    run_single_user(SendEmail)
