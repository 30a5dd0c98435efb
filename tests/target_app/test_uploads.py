"""/upload-file streams each upload to a file of its own; /upload-file-naive does not."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from sweep.target import TargetProcess
from tests.conftest import StartTarget
from tests.target_app.helpers import wait_for_task

LIMIT = 200_000


@pytest.fixture
def uploads(start_target: StartTarget, tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    upload_dir = tmp_path / "uploads"
    target: TargetProcess = start_target(
        upload_dir=upload_dir, upload_max_bytes=LIMIT, upload_keep_files="true"
    )
    with httpx.Client(base_url=target.url, timeout=30) as client:
        yield client, upload_dir


def test_concurrent_uploads_each_get_their_own_file_and_the_right_hash(
    uploads: tuple[httpx.Client, Path],
) -> None:
    client, upload_dir = uploads
    payloads = [os.urandom(50_000 + 7_919 * i) for i in range(10)]

    def upload(payload: bytes) -> dict[str, object]:
        files = {"file": ("../../etc/passwd", payload, "application/octet-stream")}
        response = client.post("/upload-file", files=files)
        assert response.status_code == 202, response.text
        body: dict[str, object] = response.json()
        return body

    with ThreadPoolExecutor(10) as pool:
        accepted = list(pool.map(upload, payloads))
    tasks = [wait_for_task(client, str(body["task_id"])) for body in accepted]

    stored = {str(body["stored_as"]) for body in accepted}
    assert len(stored) == 10  # ten files, none overwritten
    for payload, body, task in zip(payloads, accepted, tasks, strict=True):
        assert task["status"] == "done"
        assert task["result"]["sha256"] == hashlib.sha256(payload).hexdigest()
        assert task["result"]["size"] == len(payload) == body["size"]
        assert body["filename"] == "../../etc/passwd"  # reported, never used as a path
        assert (upload_dir / str(body["stored_as"])).read_bytes() == payload
    assert sorted(p.name for p in upload_dir.iterdir()) == sorted(stored)


def _chunked(data: bytes, size: int = 16_384) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def _multipart(payload: bytes, boundary: str = "bgbench-boundary") -> tuple[bytes, str]:
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + payload
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


def test_an_upload_over_the_limit_is_a_413_and_leaves_no_file(
    uploads: tuple[httpx.Client, Path],
) -> None:
    client, upload_dir = uploads
    body, content_type = _multipart(os.urandom(3 * LIMIT))
    # Declared too large: refused before reading.
    declared = client.post("/upload-file", content=body, headers={"Content-Type": content_type})
    # Streamed without a length: refused while reading, the partial file removed.
    streamed = client.post(
        "/upload-file", content=_chunked(body), headers={"Content-Type": content_type}
    )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert "BGBENCH_UPLOAD_MAX_BYTES" in response.json()["detail"]
    assert list(upload_dir.iterdir()) == []
    assert "background/upload" not in client.get("/metrics").json()["tasks"]


def test_an_upload_at_the_limit_is_accepted(uploads: tuple[httpx.Client, Path]) -> None:
    client, _ = uploads
    body, content_type = _multipart(os.urandom(LIMIT))
    response = client.post(
        "/upload-file", content=_chunked(body), headers={"Content-Type": content_type}
    )
    assert response.status_code == 202
    assert response.json()["size"] == LIMIT


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b"just bytes", "application/octet-stream"),
        (_multipart(b"x")[0].replace(b'name="file"', b'name="other"'), _multipart(b"x")[1]),
        (b"--bgbench-boundary\r\ngarbage", _multipart(b"x")[1]),
    ],
    ids=["not-multipart", "no-file-field", "malformed"],
)
def test_a_request_without_a_proper_file_is_a_422(
    uploads: tuple[httpx.Client, Path], content: bytes, content_type: str
) -> None:
    client, upload_dir = uploads
    response = client.post("/upload-file", content=content, headers={"Content-Type": content_type})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "file"
    assert list(upload_dir.iterdir()) == []


def test_the_naive_handler_writes_every_upload_to_the_same_path(
    uploads: tuple[httpx.Client, Path],
) -> None:
    client, upload_dir = uploads
    first = client.post("/upload-file-naive", files={"file": ("a.txt", b"first")}).json()
    second = client.post("/upload-file-naive", files={"file": ("b.txt", b"second")}).json()
    assert first["stored_as"] == second["stored_as"]
    assert (upload_dir / first["stored_as"]).read_bytes() == b"second"  # the first is gone
    missing = client.post("/upload-file-naive", data={"note": "no file"})
    assert missing.status_code == 422
