"""Every /v1 route of every service declares who may call it and how large its body may be
(shared.http.doors), so the gate can answer before reading; none falls back to the closed default."""

from __future__ import annotations

import pytest

from shared.http.doors import (
    BATCH_BODY_LIMIT,
    DEFAULT_BODY_LIMIT,
    RESPONSE_BODY_LIMIT,
    WEBHOOK_BODY_LIMIT,
    door_of,
    routes_of,
)
from shared.settings import SERVICES, Settings


def app_of(service: str, tmp_path):
    module = __import__(f"services.{service}.app", fromlist=["create_app"])
    return module.create_app(Settings(api_keys="k-0123456789abcdef:admin", var_dir=str(tmp_path)))


@pytest.mark.parametrize("service", SERVICES)
def test_every_v1_route_declares_its_door(service, tmp_path):
    doors = {
        (method, route.path): door_of(route)
        for route in routes_of(app_of(service, tmp_path).router.routes)
        for method in getattr(route, "methods", ())
    }
    v1 = {key: door for key, door in doors.items() if key[1].startswith("/v1/")}
    assert v1
    for (method, path), door in v1.items():
        assert door.declared, f"{method} {path} declares no door"
        if path.startswith("/v1/webhooks/"):
            assert door.roles is None and door.before_body is not None, (method, path)
        else:
            assert door.roles and "admin" in door.roles, (method, path)
    for (method, path), door in doors.items():
        if not path.startswith("/v1/"):
            assert door.roles is None and door.body_limit == DEFAULT_BODY_LIMIT, (method, path)


def test_body_limits_of_the_routes_that_need_more(tmp_path):
    limits = {
        (m, r.path): door_of(r).body_limit
        for r in routes_of(app_of("ingest", tmp_path).router.routes)
        for m in r.methods
    }
    assert limits[("POST", "/v1/responses")] == RESPONSE_BODY_LIMIT == 256 * 1024
    assert limits[("POST", "/v1/responses:batch")] == BATCH_BODY_LIMIT == 8 * 1024 * 1024
    assert limits[("POST", "/v1/webhooks/{platform}/{program}")] == WEBHOOK_BODY_LIMIT == 1024 * 1024
    assert limits[("POST", "/v1/sources")] == DEFAULT_BODY_LIMIT == 64 * 1024
