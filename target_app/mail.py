"""Sending email over real SMTP, with a timeout, configured from settings only."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage


@dataclass(frozen=True, slots=True)
class SmtpConfig:
    host: str
    port: int
    timeout_s: float
    sender: str
    user: str | None = None
    password: str | None = None
    starttls: bool = False


def send_email(config: SmtpConfig, to: str, subject: str, body: str) -> dict[str, str]:
    message = EmailMessage()
    message["From"] = config.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    # A timeout, or a mail server that stops answering holds a worker thread forever.
    with smtplib.SMTP(config.host, config.port, timeout=config.timeout_s) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.user and config.password:
            smtp.login(config.user, config.password)
        smtp.send_message(message)
    return {"to": to}
