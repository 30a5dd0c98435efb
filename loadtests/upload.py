"""A file upload (--upload-bytes) stored by the request and hashed by a background task."""

from __future__ import annotations

import os
import uuid

from locust import run_single_user

from loadtests.support import checks
from loadtests.support.checks import Answer
from loadtests.support.http1 import Call
from loadtests.support.open_model import OpenModelUser

FILENAME = "bgbench.bin"


def multipart(field: str, filename: str, content: bytes) -> tuple[bytes, str]:
    """A multipart/form-data body with one file, and its Content-Type."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{filename}"'
        "\r\nContent-Type: application/octet-stream\r\n\r\n"
    )
    body = head.encode() + content + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Upload(OpenModelUser):
    def request_name(self) -> str:
        return "background/upload"

    def call(self) -> Call:
        # Random bytes, one file per user: the app hashes them, compression cannot help.
        body, content_type = multipart("file", FILENAME, os.urandom(self.options.upload_bytes))
        return Call("POST", "/upload-file", body, (("Content-Type", content_type),))

    def check(self, answer: Answer) -> str | None:
        return checks.accepted(answer, size=self.options.upload_bytes, filename=FILENAME)


if __name__ == "__main__":
    run_single_user(Upload)
