"""The schema states the bounds of the app's own settings (`target_app/openapi.py`)."""

from __future__ import annotations

from typing import Any

import pytest

from target_app.app import create_app
from target_app.openapi import bound_by
from target_app.settings import Settings


def parameter(schema: dict[str, Any], path: str, name: str) -> dict[str, Any]:
    (found,) = (p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == name)
    bounds: dict[str, Any] = found["schema"]
    return bounds


def test_the_default_bounds_are_in_the_schema() -> None:
    schema = create_app(Settings()).openapi()
    assert parameter(schema, "/background", "ms")["maximum"] == 60_000
    assert parameter(schema, "/chained", "tasks")["maximum"] == 100
    assert parameter(schema, "/failing", "fail_at")["maximum"] == 100
    form = schema["paths"]["/upload-file"]["post"]["requestBody"]["content"]
    assert form["multipart/form-data"]["schema"]["properties"]["file"]["maxLength"] == 10 << 20
    assert "x-bgbench-bound-by" not in str(schema)


def test_each_app_states_its_own_settings() -> None:
    small = create_app(Settings(max_ms=5, max_chain_tasks=2)).openapi()
    default = create_app(Settings()).openapi()
    assert parameter(small, "/process-pool", "ms")["maximum"] == 5
    assert parameter(small, "/failing", "tasks")["maximum"] == 2
    assert parameter(default, "/process-pool", "ms")["maximum"] == 60_000


def test_the_runtime_limits_and_answers_are_declared() -> None:
    schema = create_app(Settings()).openapi()
    assert parameter(schema, "/process-pool", "workload")["enum"] == ["sleep", "cpu"]
    (request_id,) = parameter(schema, "/background", "X-Request-ID")["anyOf"][:1]
    assert (request_id["minLength"], request_id["maxLength"]) == (1, 128)
    responses = {
        path: set(ops[next(iter(ops))]["responses"]) for path, ops in schema["paths"].items()
    }
    assert responses["/executor"] == responses["/queue"] == {"200", "422", "503"}
    assert responses["/upload-file"] == {"202", "413", "422"}
    assert responses["/send-email"] == responses["/upload-file-naive"] == {"202", "400", "422"}
    assert responses["/tasks/{task_id}"] == {"200", "404", "422"}
    recipient = schema["components"]["schemas"]["EmailRequest"]["properties"]["to"]
    assert "[tT][eE][sS][tT]" in recipient["not"]["pattern"]


def test_a_bound_names_a_real_setting() -> None:
    with pytest.raises(ValueError, match="no setting 'max_sm'"):
        bound_by("max_sm")
