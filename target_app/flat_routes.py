"""`include_flat(app, router)`: a router's routes registered on the app itself, as FastAPI's
`include_router` did before 0.137.

Since 0.137, `include_router` keeps the router as a node of a route tree, resolved on every
request: the node matches the request once to answer Starlette's `matches` and again to
`handle` it, and walks the tree each time to see whether a route was added since. Measured
under callgrind (scripts/baseline-overhead's setup, /baseline, 2,000 requests): 521k
instructions a request with the app's 12 routers included, 447k with them flat, 435k for a
bare FastAPI hello world. Each route is re-created by the app's own router, so it gets the app
as its dependency-overrides provider and the app's defaults, exactly as `@app.get` would.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

# What a route was declared with, under the names `add_api_route` takes them (`methods` and
# the route class aside): the options the old `include_router` carried over.
_ROUTE_OPTIONS = (
    "response_model",
    "status_code",
    "tags",
    "dependencies",
    "summary",
    "description",
    "response_description",
    "responses",
    "deprecated",
    "operation_id",
    "response_model_include",
    "response_model_exclude",
    "response_model_by_alias",
    "response_model_exclude_unset",
    "response_model_exclude_defaults",
    "response_model_exclude_none",
    "include_in_schema",
    "response_class",
    "name",
    "callbacks",
    "openapi_extra",
    "generate_unique_id_function",
    "strict_content_type",
    "max_body_size",
    "form_limits",
)


def include_flat(app: FastAPI, router: APIRouter) -> None:
    for route in router.routes:
        if not isinstance(route, APIRoute):
            # Only path operations are re-created; anything else needs the real include.
            raise TypeError(f"include_flat: {route!r} is not an APIRoute")
        app.router.add_api_route(
            route.path,
            route.endpoint,
            methods=route.methods,
            route_class_override=type(route),
            **{name: getattr(route, name) for name in _ROUTE_OPTIONS},
        )
