"""The audit trail's door-side half: every read of personal data and every change an administrator
or manager makes is recorded — who, when, what, from where — as a `lazo.audit.recorded` event
through the service's outbox (casework keeps them for `GET /v1/audit`; a SIEM may read the topic).

Which requests count is decided from what the gate already knows (shared.http.gate): the route's
door says whether it answers with personal data (`personal_data()`), the principal says the role.
The record is written once the answer has gone out, with its status, so a refused attempt is on
record too; customer ids in the request are kept only as keyed digests (shared.tombstones).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.datastructures import QueryParams

from shared.contracts.audit import AuditRecorded
from shared.events import Envelope, EventType, Topic, utcnow
from shared.http.auth import PRINCIPAL_SCOPE_KEY, Principal
from shared.http.gate import ROUTE_SCOPE_KEY
from shared.metrics import AUDIT_FAILURES, AUDIT_RECORDS
from shared.tombstones import CustomerDigest

log = logging.getLogger("lazo.audit")

CHANGES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
READS = frozenset({"GET", "HEAD"})
CHANGERS = frozenset({"admin", "manager"})
CUSTOMER_PARAMETERS = ("customer_id", "customer")  # what names a customer in a path or a query


def audit_kind(method: str, role: str | None, personal: bool) -> str | None:
    """'read', 'change' or None (not audited)."""
    if personal and method in READS:
        return "read"
    if method in CHANGES and role in CHANGERS:
        return "change"
    return None


def audit_record(
    *,
    service: str,
    kind: str,
    principal: Principal,
    method: str,
    route: str,
    path_params: dict[str, Any],
    query: QueryParams,
    status: int,
    client: str,
    digest: CustomerDigest,
) -> AuditRecorded:
    customers = [str(v) for k, v in path_params.items() if k in CUSTOMER_PARAMETERS]
    customers += [v for k in CUSTOMER_PARAMETERS for v in query.getlist(k)]
    resource = {k: str(v)[:200] for k, v in path_params.items() if k not in CUSTOMER_PARAMETERS}
    return AuditRecorded(
        audit_id=uuid.uuid4().hex,
        at=utcnow(),
        service=service,
        kind=kind,
        actor=principal.who,
        role=principal.role,
        method=method,
        route=route[:300],
        resource=resource,
        customer_digests=sorted({digest(c) for c in customers})[:20],
        status=status,
        client=client[:100],
    )


class AuditTrail:
    """ASGI middleware, just outside the gate: it sees the request as the gate admitted it."""

    def __init__(self, app, *, service: str):
        self.app = app
        self.service = service
        self._digest: CustomerDigest | None = None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        status = 500

        async def _send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, _send)
        finally:
            await self._record(scope, status)

    async def _record(self, scope, status: int) -> None:
        principal: Principal | None = scope.get(PRINCIPAL_SCOPE_KEY)
        found = scope.get(ROUTE_SCOPE_KEY)
        if principal is None or found is None:
            return  # refused at the door (counted there), or not a route: nothing was read or changed
        route, door, path_params = found
        kind = audit_kind(scope["method"], principal.role, door.personal)
        if kind is None:
            return
        try:
            runtime = scope["app"].state.runtime
            if self._digest is None:
                self._digest = CustomerDigest.from_settings(runtime.settings)
            record = audit_record(
                service=self.service,
                kind=kind,
                principal=principal,
                method=scope["method"],
                route=route,
                path_params=path_params,
                query=QueryParams(scope.get("query_string", b"")),
                status=status,
                client=scope["client"][0] if scope.get("client") else "?",
                digest=self._digest,
            )
            envelope = Envelope.new(
                id=f"audit:{record.audit_id}",
                type=EventType.AUDIT_RECORDED,
                source=f"/lazo/{self.service}",
                subject=record.actor,
                data=record,
            )
            async with runtime.uow() as tx:
                tx.publish(Topic.AUDIT, envelope)
            AUDIT_RECORDS.labels(self.service, kind).inc()
        except Exception as exc:  # the answer has gone; the missing record is counted and logged
            AUDIT_FAILURES.labels(self.service).inc()
            log.error("audit record of %s %s not written: %s", scope["method"], route, type(exc).__name__)
