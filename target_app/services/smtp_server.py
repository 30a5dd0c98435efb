"""An embedded SMTP server (aiosmtpd, in its own thread) that counts what it receives, so that
the email workload sends real SMTP on a machine without a mail server."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiosmtpd.controller import Controller

from target_app.services.ports import free_loopback_port


@dataclass(frozen=True, slots=True)
class ReceivedMessage:
    sender: str
    recipients: tuple[str, ...]
    subject: str


class CountingHandler:
    def __init__(self, keep: int = 1000) -> None:
        self._lock = threading.Lock()
        self.received = 0
        self.recent: deque[ReceivedMessage] = deque(maxlen=keep)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        content = envelope.content.decode("utf-8", errors="replace")
        subject = next(
            (line[9:].strip() for line in content.splitlines() if line.startswith("Subject: ")),
            "",
        )
        message = ReceivedMessage(envelope.mail_from, tuple(envelope.rcpt_tos), subject)
        with self._lock:
            self.received += 1
            self.recent.append(message)
        return "250 Message accepted for delivery"


class EmbeddedSmtpServer:
    def __init__(self) -> None:
        self.handler = CountingHandler()
        self.host = "127.0.0.1"
        self.port = 0
        self._controller: Controller | None = None

    def start(self, attempts: int = 5) -> None:
        # aiosmtpd binds by itself and cannot take port 0, so pick a free port and retry
        # in the rare case another process takes it in between.
        for attempt in range(attempts):
            port = free_loopback_port()
            controller = Controller(self.handler, hostname=self.host, port=port)
            try:
                controller.start()
            except OSError:
                if attempt == attempts - 1:
                    raise
                continue
            self._controller, self.port = controller, port
            return

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
