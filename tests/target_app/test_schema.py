"""schemathesis over every operation of the app's OpenAPI schema: the app answers only what its
schema says it answers (no undocumented 5xx, every status code documented, the content type,
headers and body it promises), accepts what the schema says is valid and refuses the rest."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES
from schemathesis.core.mutations import OperatorKind
from schemathesis.core.parameters import ParameterLocation

from sweep.target import TargetProcess
from target_app.app import create_app
from target_app.settings import Settings

# Small bounds keep every case short (an /inline?ms=N request waits N ms, a chain runs its
# tasks one after another) and put the limits within reach of generated values, so the
# answers past them (422, 413) are exercised, not only documented. No BGBENCH_QUEUE_ENABLED:
# /queue answers its documented 503, so no Redis is needed.
SETTINGS: dict[str, Any] = {"max_ms": 20, "max_chain_tasks": 5, "upload_max_bytes": 4096}

# The schema of an app with these settings, built in process so that pytest can make one test
# per operation at collection; test_the_served_schema_is_this_one checks the server's is equal.
APP_SCHEMA = create_app(Settings(**SETTINGS)).openapi()

EXAMPLES_PER_OPERATION = 30  # fuzzing phase; the examples and coverage phases add their own
SEED = 14


def _documented_server_errors() -> list[dict[str, Any]]:
    """A 5xx is a server error unless the operation documents it: /executor's full queue and
    /queue's absent broker are answers the app gives on purpose (503 with Retry-After)."""
    allowed = []
    for path, operations in APP_SCHEMA["paths"].items():
        for method, operation in operations.items():
            documented = [status for status in operation["responses"] if status.startswith("5")]
            if documented:
                statuses = ["2xx", "3xx", "4xx", *documented]
                allowed.append(
                    {
                        "include-path": path,
                        "include-method": method.upper(),
                        "checks": {"not_a_server_error": {"expected-statuses": statuses}},
                    }
                )
    return allowed


CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "mode": "all",  # valid requests and invalid ones
        },
        # A file past BGBENCH_UPLOAD_MAX_BYTES is refused too, with the 413 of its size.
        "checks": {
            "negative_data_rejection": {
                "expected-statuses": [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
            }
        },
        "operations": _documented_server_errors(),
    }
)

CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
    checks.positive_data_acceptance,
    checks.negative_data_rejection,
]

schema = schemathesis.openapi.from_dict(APP_SCHEMA, config=CONFIG)


def _fails_past_the_chain(case: schemathesis.Case[Any]) -> bool:
    # /failing?fail_at > tasks is a 422 bound by another parameter, which JSON Schema cannot
    # state (the description does): valid by the schema, refused by the app.
    if case.path != "/failing" or case.meta is None or not case.meta.generation.mode.is_positive:
        return False
    query = case.query or {}
    return int(query.get("fail_at", 1)) > int(query.get("tasks", 3))


def _retyped_multipart_part(case: schemathesis.Case[Any]) -> bool:
    # A multipart part is bytes: a number where the schema says a string (`file: -119`) is
    # the same bytes on the wire as the string "-119", so nothing the app could refuse.
    # schemathesis itself excuses such changes in query and path parameters, not in forms.
    meta = case.meta
    if meta is None or not (case.media_type or "").startswith("multipart/"):
        return False
    mutations = getattr(meta.phase.data, "mutations", None) or []
    return bool(mutations) and all(
        m.operator is OperatorKind.CHANGE_TYPE and m.parameter_location is ParameterLocation.BODY
        for m in mutations
    )


def _excused(case: schemathesis.Case[Any]) -> list[Any]:
    if _fails_past_the_chain(case):
        return [checks.positive_data_acceptance]
    if _retyped_multipart_part(case):
        return [checks.negative_data_rejection]
    return []


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TargetProcess]:
    directory: Path = tmp_path_factory.mktemp("schema")
    env = {"BGBENCH_DATA_DIR": str(directory / "data")}
    env.update({f"BGBENCH_{name.upper()}": str(value) for name, value in SETTINGS.items()})
    with TargetProcess(env, log_path=directory / "server.log") as target:
        yield target


def test_the_served_schema_is_this_one(target: TargetProcess) -> None:
    served = httpx.get(f"{target.url}/openapi.json").raise_for_status().json()
    assert served == APP_SCHEMA


@schema.parametrize()
def test_the_app_answers_as_its_schema_says(
    case: schemathesis.Case[Any], target: TargetProcess
) -> None:
    case.call_and_validate(base_url=target.url, checks=CHECKS, excluded_checks=_excused(case))
