"""What a route asks of a request before its body is read: who may call it, and how large its body
may be. Declared on the route, read by the gate (shared.http.gate), which answers before the body.

- Who: an API key with one of the roles of the route's `require(...)` dependency (shared.http.auth:
  `Ingestor`, `Reader`, `Admin`, …), or, for platform webhooks, `signed_by_platform(check)`: no key,
  the platform's signature instead; `check` looks at the request line and headers first (e.g. the
  webhook's source exists). A `/v1` route that declares neither is admin-only: closed by default.
- How large: `body_limit(n)` bytes (`DEFAULT_BODY_LIMIT` otherwise). A larger declared
  Content-Length is refused with 413 before reading; a streamed body is cut at the limit.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

from fastapi import Depends, Request
from fastapi.params import Depends as DependsParam

log = logging.getLogger("lazo.http")

KIB = 1024
MIB = 1024 * KIB
DEFAULT_BODY_LIMIT = 64 * KIB
RESPONSE_BODY_LIMIT = 256 * KIB  # one canonical survey response
BATCH_BODY_LIMIT = 8 * MIB  # up to LAZO_MAX_BATCH items
WEBHOOK_BODY_LIMIT = 1 * MIB  # one platform's webhook payload (and a sample of one, for dry runs)
DEFINITION_BODY_LIMIT = 256 * KIB  # a programme definition, with its questions and scales
ADMIN_ONLY = frozenset({"admin"})

# Checks a request line and its headers; raises a shared.errors.Problem to refuse the request, or
# returns a smaller body limit for this request (None: the route's).
BeforeBody = Callable[[Request], Awaitable[int | None]]


@dataclass(frozen=True)
class Door:
    roles: frozenset[str] | None  # None: no API key is asked (a public route, or a signed one)
    body_limit: int = DEFAULT_BODY_LIMIT
    before_body: BeforeBody | None = None
    declared: bool = True  # False: a /v1 route that declared no door, closed to all but admin
    personal: bool = False  # it answers with personal data: each read is audited (shared.http.audit)


PUBLIC = Door(roles=None)


def _marker(**attributes) -> DependsParam:
    async def declared() -> None:  # does nothing when the route runs: the gate reads the attributes
        return None

    for name, value in attributes.items():
        setattr(declared, name, value)
    return Depends(declared)


def body_limit(limit: int) -> DependsParam:
    """`dependencies=[body_limit(256 * KIB)]`: this route's bodies may be up to `limit` bytes."""
    return _marker(lazo_body_limit=limit)


def personal_data() -> DependsParam:
    """`dependencies=[personal_data()]`: the route answers with customers' personal data, so each
    call is recorded in the audit trail (who, when, what, from where)."""
    return _marker(lazo_personal=True)


def signed_by_platform(check: BeforeBody) -> DependsParam:
    """The route is authenticated by a signature over its body, not by an API key. `check` runs
    before the body is read (find what verifies the signature; refuse what has none)."""
    return _marker(lazo_before_body=check)


def _calls(dependant) -> list:
    found, stack = [], list(dependant.dependencies)
    while stack:
        dep = stack.pop()
        if dep.call is not None:
            found.append(dep.call)
        stack.extend(dep.dependencies)
    return found


def routes_of(routes) -> Iterator:
    """Every route as declared, through included routers (FastAPI includes them lazily, keeping the
    router rather than copying its routes)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is None:
            yield route
            continue
        context = getattr(route, "include_context", None)
        if getattr(context, "prefix", "") or getattr(context, "dependencies", None):
            raise RuntimeError(
                "include routers without a prefix or dependencies of their own: "
                "the gate reads each route as its router declares it"
            )
        yield from routes_of(inner.routes)


def door_of(route) -> Door:
    """The door a route declared (any route: a non-FastAPI one, or none at all, is public)."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return PUBLIC
    roles: frozenset[str] | None = None
    limit, check, personal = DEFAULT_BODY_LIMIT, None, False
    for call in _calls(dependant):
        personal = personal or getattr(call, "lazo_personal", False)
        if (wanted := getattr(call, "lazo_roles", None)) is not None:
            roles = wanted if roles is None else roles & wanted  # every require() must pass
        limit = getattr(call, "lazo_body_limit", limit)
        check = getattr(call, "lazo_before_body", check)
    path = getattr(route, "path", "")
    if roles is None and check is None and (path == "/v1" or path.startswith("/v1/")):
        log.warning("route %s declares no door: only admin keys may use it", path)
        return Door(roles=ADMIN_ONLY, body_limit=limit, declared=False, personal=personal)
    return Door(roles=roles, body_limit=limit, before_body=check, personal=personal)
