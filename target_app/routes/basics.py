"""Liveness and the no-background-work controls."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["controls"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/baseline")
async def baseline() -> dict[str, str]:
    """No background work: the async hello world every other route is compared with."""
    return {"message": "Hello World"}


@router.get("/baseline-sync")
def baseline_sync() -> dict[str, str]:
    """The same from a `def` endpoint, which needs a token of the thread pool that sync
    background tasks also use: it slows down or stops answering when they starve the pool."""
    return {"message": "Hello World"}
