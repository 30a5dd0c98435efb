"""A file upload (--upload-bytes) stored by the request and hashed by a background task."""

from __future__ import annotations

import os
import uuid
from functools import cached_property

from locust import run_single_user

from loadtests.support import checks
from loadtests.support.open_model import Context, OpenModelUser

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

    @cached_property
    def upload(self) -> tuple[bytes, str]:
        # Random bytes, built once per user: the app hashes them, compression cannot help.
        return multipart("file", FILENAME, os.urandom(self.options.upload_bytes))

    def send(self, context: Context) -> None:
        body, content_type = self.upload
        with self.client.post(
            "/upload-file",
            data=body,  # type: ignore[arg-type]  # bytes go out as they are; Locust's hint is narrow
            headers={"Content-Type": content_type},
            name=self.request_name(),
            context=context,
            catch_response=True,
        ) as response:
            answer = checks.Answer.of(response)
            problem = checks.accepted(answer, size=self.options.upload_bytes, filename=FILENAME)
            checks.settle(response, problem)


if __name__ == "__main__":
    run_single_user(Upload)
