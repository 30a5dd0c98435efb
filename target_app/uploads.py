"""Receiving an upload without trusting it, and the work done on it afterwards.

The request body is parsed as it arrives (python-multipart's push parser) and the file part is
written in chunks, by a worker thread, to a fresh name of our own under the upload directory:
the event loop never blocks on disk, memory holds one chunk, two uploads never share a path,
the client's filename is never used as a path, and the limit is enforced while reading, with
the partial file removed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from anyio import to_thread
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

FILE_FIELD = "file"


class UploadTooLarge(Exception):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the upload exceeds the limit of {limit} bytes (BGBENCH_UPLOAD_MAX_BYTES)"
        )


class UploadInvalid(ValueError):
    pass


@dataclass
class StoredUpload:
    path: Path
    size: int
    client_filename: str


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    field_name: str = ""
    filename: str | None = None


class _MultipartFileReceiver:
    """Feeds the parser and collects the file part's bytes; the caller flushes them."""

    def __init__(self, boundary: bytes) -> None:
        self.part = _Part()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self.pending = bytearray()  # file bytes parsed but not yet written
        self.found_file: _Part | None = None
        self.file_done = False
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": lambda d, s, e: self._header_field.extend(d[s:e]),
                "on_header_value": lambda d, s, e: self._header_value.extend(d[s:e]),
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
            },
        )

    def _part_begin(self) -> None:
        self.part = _Part()

    def _header_end(self) -> None:
        self.part.headers[bytes(self._header_field).lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition"))
        self.part.field_name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self.part.filename = filename.decode("utf-8", "replace") if filename is not None else None
        if self._is_wanted_file():
            self.found_file = self.part

    def _is_wanted_file(self) -> bool:
        return (
            self.found_file is None
            and self.part.field_name == FILE_FIELD
            and self.part.filename is not None
        )

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.found_file is self.part and not self.file_done:
            self.pending.extend(data[start:end])

    def _part_end(self) -> None:
        if self.found_file is self.part:
            self.file_done = True


async def receive_upload(
    content_type: str | None,
    body: AsyncIterator[bytes],
    upload_dir: Path,
    max_bytes: int,
    chunk_bytes: int,
) -> StoredUpload:
    mime, options = parse_options_header(content_type)
    boundary = options.get(b"boundary")
    if mime != b"multipart/form-data" or not boundary:
        raise UploadInvalid("expected a multipart/form-data body with a 'file' field")
    receiver = _MultipartFileReceiver(boundary)
    path = upload_dir / f"{uuid.uuid4().hex}.upload"
    handle: BinaryIO = await to_thread.run_sync(path.open, "xb")  # x: never overwrite
    size = 0
    try:
        async for chunk in body:
            try:
                receiver.parser.write(chunk)
            except MultipartParseError as exc:
                raise UploadInvalid(f"malformed multipart body: {exc}") from exc
            if len(receiver.pending) >= chunk_bytes or (receiver.file_done and receiver.pending):
                size += len(receiver.pending)
                if size > max_bytes:
                    raise UploadTooLarge(max_bytes)
                data, receiver.pending = bytes(receiver.pending), bytearray()
                await to_thread.run_sync(handle.write, data)
        receiver.parser.finalize()
        if receiver.found_file is None:
            raise UploadInvalid(f"the form has no file field named {FILE_FIELD!r}")
        if receiver.pending:
            size += len(receiver.pending)
            if size > max_bytes:
                raise UploadTooLarge(max_bytes)
            await to_thread.run_sync(handle.write, bytes(receiver.pending))
        await to_thread.run_sync(handle.close)
    except BaseException:
        await to_thread.run_sync(handle.close)
        await to_thread.run_sync(lambda: path.unlink(missing_ok=True))
        raise
    return StoredUpload(path, size, receiver.found_file.filename or "")


def hash_file(path: Path, keep: bool, chunk_bytes: int = 1024 * 1024) -> dict[str, object]:
    """The background work on a stored upload: its sha256 and size, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as stored:
        while chunk := stored.read(chunk_bytes):
            digest.update(chunk)
            size += len(chunk)
    if not keep:
        path.unlink()
    return {"sha256": digest.hexdigest(), "size": size, "stored_as": path.name}
