"""The app's routes registered flat: the same API as `include_router` gives, on the app itself."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.routing import APIRoute

from target_app.app import ROUTERS, create_app
from target_app.openapi import state_settings_bounds
from target_app.settings import Settings


def test_the_api_is_the_one_include_router_gives() -> None:
    app = create_app()
    included = FastAPI(title=app.title, description=app.description)
    for router in ROUTERS:
        included.include_router(router)
    state_settings_bounds(included, Settings())  # as create_app() does, with its settings
    assert app.openapi() == included.openapi()


# What a route builds from its options when it is created: new objects, equal in behaviour
# (`response_fields`: one field per model of `responses`, which is compared itself).
REBUILT = {"app", "dependant", "body_field", "response_field", "response_fields"}


def test_every_route_is_on_the_app_with_what_it_was_declared_with() -> None:
    app = create_app()
    declared = [route for router in ROUTERS for route in router.routes]
    originals = [route for route in declared if isinstance(route, APIRoute)]
    assert originals == declared
    flat = [route for route in app.routes if isinstance(route, APIRoute)]
    assert [(r.path, r.methods) for r in flat] == [(r.path, r.methods) for r in originals]
    for route, original in zip(flat, originals, strict=True):
        # Every attribute, so that an option a later FastAPI adds cannot go missing unseen;
        # the app's router fills in what the route left to its router, as for `@app.get`.
        expected = vars(original) | {
            "strict_content_type": True,
            "dependency_overrides_provider": app,  # app.dependency_overrides reach it
        }
        for name in REBUILT:
            del expected[name]
        assert {k: v for k, v in vars(route).items() if k not in REBUILT} == expected, route.path
