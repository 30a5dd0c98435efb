"""What the app saw: counters and HDR percentiles per strategy and workload, gauges, and the
event loop's lag, as JSON (default) or Prometheus text."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST

from bgbench.prometheus import prometheus_text
from target_app import metrics
from target_app.state import State

router = APIRouter(tags=["observability"])


@router.get(
    "/metrics",
    response_model=None,
    responses={
        200: {
            "description": "JSON, or Prometheus text with `?format=prometheus`",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                CONTENT_TYPE_LATEST.split(";")[0]: {"schema": {"type": "string"}},
            },
        }
    },
)
async def get_metrics(
    state: State,
    format: Annotated[Literal["json", "prometheus"], Query()] = "json",
) -> dict[str, Any] | PlainTextResponse:
    snapshot = metrics.snapshot(state)
    if format == "prometheus":
        return PlainTextResponse(prometheus_text(snapshot), media_type=CONTENT_TYPE_LATEST)
    return snapshot


@router.get("/metrics/window")
async def get_window(state: State) -> dict[str, Any]:
    """Counters and encoded HDR histograms of everything recorded since the previous call,
    then a new window starts. Meant for one reader (the sweep, once a second)."""
    return metrics.window(state)
