"""The gate: every request is let in by its route's door (shared.http.doors) before one byte of its
body is read.

FastAPI reads and parses a body before any dependency runs, so a key checked by a dependency is
checked too late: an unauthenticated 12 MB JSON body would be parsed first, holding the event
loop for seconds. This pure ASGI middleware finds the route from the request line, then, from the
headers alone:

1. checks the API key against the route's roles (401, 403 problem+json as before), or runs the
   route's own check for signed platform webhooks (their source must exist);
2. throttles failed authentication per client address (shared.http.throttle; 429);
3. refuses a declared Content-Length over the route's body limit (413).

Only then is the body read, through a `receive` that cuts it at the limit, refuses NUL characters
(shared.http.nul) and bounds what the JSON can expand into (shared.http.jsonshape). A refused
body is never read by the application: uvicorn drops what the client still sends, at C speed,
and keeps the connection.
"""

from __future__ import annotations

import logging

from fastapi import HTTPException, Request
from prometheus_client import Counter
from starlette.datastructures import Headers, QueryParams
from starlette.routing import Match

from shared.errors import PayloadTooLarge, Problem, TooManyRequests, Unauthorized, Unavailable
from shared.http import problems
from shared.http.auth import PRINCIPAL_SCOPE_KEY, Authenticator, authorize
from shared.http.doors import PUBLIC, Door, door_of, routes_of
from shared.http.jsonshape import JsonShape, ShapeError
from shared.http.nul import NulScanner
from shared.http.throttle import FailedAuthThrottle
from shared.logsafe import describe
from shared.transient import is_retriable

log = logging.getLogger("lazo.http")

ROUTE_SCOPE_KEY = "lazo.route"  # (route template, door, path parameters) of an admitted request

REFUSED_UNREAD = Counter(
    "lazo_http_refused_before_body_total",
    "Requests answered from their request line and headers, their body never read",
    ["service", "status"],
)


class BodyRefused(HTTPException):
    """Raised from `receive` while the body streams in: FastAPI lets an HTTPException out of its
    body parsing as it is, so the client gets this status (not a 400)."""

    def __init__(self, status: int, message: str):
        super().__init__(status, message)
        self.errors = [{"field": "body", "message": message}]


def _media_type(scope) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-type":
            return value.split(b";")[0].strip().lower()
    return None


def _is_json(media_type: bytes | None) -> bool:
    """What FastAPI parses as JSON: no content type, application/json, or any +json type."""
    return not media_type or media_type.endswith(b"/json") or media_type.endswith(b"+json")


def _content_length(scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


class Gate:
    def __init__(self, app, *, service: str, router, auth: Authenticator, throttle: FailedAuthThrottle):
        self.app = app
        self.service = service
        self.router = router  # the app's: routes included after the gate is added are seen too
        self.auth = auth
        self.throttle = throttle
        self._table: list[tuple[object, Door]] | None = None

    def _find(self, scope) -> tuple[Door, dict]:
        if self._table is None:  # on the first request: every router is included by then
            self._table = [(route, door_of(route)) for route in routes_of(self.router.routes)]
        for route, door in self._table:
            match, child = route.matches(scope)
            if match is Match.FULL:
                # What the audit trail records of the request (shared.http.audit).
                scope[ROUTE_SCOPE_KEY] = (getattr(route, "path", ""), door, child.get("path_params", {}))
                return door, child
        return PUBLIC, {}  # not found, or not this method: answered 404/405 without reading

    def _too_many(self, wait: int) -> TooManyRequests:
        return TooManyRequests(
            f"too many failed authentications from this address; retry after {wait} s", retry_after=wait
        )

    async def _let_in(self, scope, address: str, roles: frozenset[str]) -> None:
        try:
            principal = await self.auth.identify(Headers(scope=scope))
        except Unauthorized:
            wait = self.throttle.retry_after(address)
            if wait:
                raise self._too_many(wait) from None
            self.throttle.failed(address)
            raise
        scope[PRINCIPAL_SCOPE_KEY] = authorize(principal, roles)

    async def _admit(self, scope, child: dict, door: Door, address: str, throttle_key: str) -> int:
        """The body limit of an admitted request; a Problem for a refused one."""
        limit = door.body_limit
        if door.roles is not None:
            await self._let_in(scope, address, door.roles)
        elif door.before_body is not None:
            if wait := self.throttle.retry_after(throttle_key):
                raise self._too_many(wait)
            try:
                smaller = await door.before_body(Request({**scope, **child}))
            except Problem:
                raise
            except Exception as exc:
                if is_retriable(exc):
                    raise Unavailable("a dependency is unavailable; retry shortly") from None
                raise
            if smaller is not None:
                limit = min(limit, smaller)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            raise PayloadTooLarge(
                f"the body ({declared} bytes) exceeds this route's limit of {limit} bytes",
                errors=[{"field": "body", "message": f"at most {limit} bytes"}],
            )
        return limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        door, child = self._find(scope)
        address = scope["client"][0] if scope.get("client") else "?"
        # A webhook's failures are counted per source: platforms post many sources from one address.
        throttle_key = (
            address
            if door.before_body is None
            else (f"{address} {scope.get('path', '')}?{QueryParams(scope.get('query_string', b'')).get('source', '')}")[
                :400
            ]
        )
        try:
            limit = await self._admit(scope, child, door, address, throttle_key)
        except Problem as exc:
            REFUSED_UNREAD.labels(self.service, problems.status_of(exc)[0]).inc()
            return await problems.answer(exc, scope.get("path"))(scope, receive, send)
        except Exception as exc:
            log.error("the gate failed on %s: %s", scope.get("path"), describe(exc))
            REFUSED_UNREAD.labels(self.service, 500).inc()
            response = problems.problem_response(
                500, "Internal error", "an unexpected error occurred", instance=scope.get("path")
            )
            return await response(scope, receive, send)

        media_type = _media_type(scope)
        nul = NulScanner(form=media_type == b"application/x-www-form-urlencoded")
        shape = JsonShape.for_limit(limit) if _is_json(media_type) else None
        received = 0

        async def _receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyRefused(413, f"the body exceeds this route's limit of {limit} bytes")
                if nul.feed(chunk):
                    raise BodyRefused(422, "NUL characters (\\u0000) are not accepted")
                if shape is not None:
                    try:
                        shape.feed(chunk)
                    except ShapeError as exc:
                        raise BodyRefused(413 if exc.too_large else 422, str(exc)) from None
            return message

        if door.before_body is None:
            return await self.app(scope, _receive, send)

        async def _send(message):
            if message["type"] == "http.response.start" and message["status"] == 401:
                self.throttle.failed(throttle_key)
            await send(message)

        await self.app(scope, _receive, _send)
