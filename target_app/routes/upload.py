"""Saving an upload and processing it in a background task, right and as often written."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, File, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from target_app.answers import UNPARSABLE_BODY, invalid_input, refused
from target_app.openapi import bound_by
from target_app.request_id import RequestId
from target_app.state import State
from target_app.tracking import run_tracked
from target_app.uploads import UploadInvalid, UploadTooLarge, hash_file, receive_upload

router = APIRouter(tags=["workloads"])

# The multipart envelope around the file: boundaries, part headers, a small extra field.
_ENVELOPE_SLACK_BYTES = 64 * 1024

_MULTIPART_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {
                            "type": "string",
                            "format": "binary",
                            "description": "at most BGBENCH_UPLOAD_MAX_BYTES bytes",
                            **bound_by("upload_max_bytes", "maxLength"),
                        }
                    },
                }
            }
        },
    }
}


class UploadAccepted(BaseModel):
    task_id: str
    task_ids: list[str]
    request_id: str
    size: int
    filename: str
    stored_as: str


def _too_large(message: str, rid: str) -> JSONResponse:
    return JSONResponse(
        {"detail": message, "request_id": rid}, status_code=413, headers={"X-Request-ID": rid}
    )


@router.post(
    "/upload-file",
    status_code=202,
    response_model=UploadAccepted,
    openapi_extra=_MULTIPART_BODY,
    responses=refused(413, "The file exceeds BGBENCH_UPLOAD_MAX_BYTES"),
)
async def upload_file(
    request: Request, state: State, rid: RequestId, background_tasks: BackgroundTasks
) -> UploadAccepted | JSONResponse:
    """Streams the `file` field to a new file of its own, then hashes it in the background."""
    settings = state.settings
    declared = request.headers.get("content-length")
    too_large = settings.upload_max_bytes + _ENVELOPE_SLACK_BYTES
    if declared and declared.isdigit() and int(declared) > too_large:
        return _too_large(str(UploadTooLarge(settings.upload_max_bytes)), rid)
    try:
        stored = await receive_upload(
            request.headers.get("content-type"),
            request.stream(),
            settings.resolved_upload_dir,
            settings.upload_max_bytes,
            settings.upload_chunk_bytes,
        )
    except UploadTooLarge as too_large:
        return _too_large(str(too_large), rid)
    except UploadInvalid as invalid:
        raise invalid_input("body", "file", str(invalid), None) from invalid
    task_id = state.ledger.enqueue("background/upload", rid)
    process = partial(hash_file, stored.path, settings.upload_keep_files)
    background_tasks.add_task(run_tracked, state.ledger, task_id, process, guarded=True)
    return UploadAccepted(
        task_id=task_id,
        task_ids=[task_id],
        request_id=rid,
        size=stored.size,
        filename=stored.client_filename,
        stored_as=stored.path.name,
    )


NAIVE_NAME = "uploaded_file"


@router.post(
    "/upload-file-naive",
    status_code=202,
    response_model=UploadAccepted,
    responses=UNPARSABLE_BODY,
    summary="ANTI-PATTERN: the upload handler as often written",
    description=(
        "**Anti-pattern, kept to measure it.** Reads the whole file into memory inside "
        "`async def`, writes it with a blocking call to one fixed path, and hashes that path "
        "in the background: concurrent uploads overwrite each other and the event loop stalls "
        "on the disk. Use /upload-file."
    ),
)
async def upload_file_naive(
    file: Annotated[UploadFile, File()],
    state: State,
    rid: RequestId,
    background_tasks: BackgroundTasks,
) -> UploadAccepted:
    contents = await file.read()
    path = state.settings.resolved_upload_dir / NAIVE_NAME
    with path.open("wb") as stored:
        stored.write(contents)
    task_id = state.ledger.enqueue("background_naive/upload", rid)
    background_tasks.add_task(
        run_tracked, state.ledger, task_id, partial(hash_file, path, keep=True), guarded=True
    )
    return UploadAccepted(
        task_id=task_id,
        task_ids=[task_id],
        request_id=rid,
        size=len(contents),
        filename=file.filename or "",
        stored_as=NAIVE_NAME,
    )
