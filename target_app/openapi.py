"""Limits that come from settings, written into the app's OpenAPI schema.

A declaration such as `Query(le=...)` is made once, at import, while `BGBENCH_MAX_MS` and its
kin are per app: a declaration marks its bound with `bound_by("max_ms")`, and the app's schema
gets the value of that setting in place of the mark. The check itself stays in the code that
reads the setting (a 422, as a declared bound would give).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from target_app.settings import Settings

_MARK = "x-bgbench-bound-by"


def bound_by(setting: str, keyword: str = "maximum") -> dict[str, Any]:
    """`json_schema_extra` for a value bounded by a setting: `keyword` (a JSON Schema keyword
    such as `maximum` or `maxLength`) becomes the setting's value in each app's schema."""
    if setting not in Settings.model_fields:
        raise ValueError(f"bound_by: no setting {setting!r}")
    return {_MARK: {"setting": setting, "keyword": keyword}}


def _fill(node: object, settings: Settings) -> None:
    if isinstance(node, dict):
        mark = node.pop(_MARK, None)
        if mark is not None:
            node[mark["keyword"]] = getattr(settings, mark["setting"])
        for value in node.values():
            _fill(value, settings)
    elif isinstance(node, list):
        for value in node:
            _fill(value, settings)


def state_settings_bounds(app: FastAPI, settings: Settings) -> None:
    """Make `app.openapi()` (and /openapi.json) state the bounds `settings` set."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        schema = app.openapi_schema
        if schema is None:
            schema = generate()  # which keeps it in app.openapi_schema: filled once
            _fill(schema, settings)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented override
