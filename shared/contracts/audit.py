from __future__ import annotations

from datetime import datetime

from shared.events import EventData


class AuditRecorded(EventData):
    """`lazo.audit.recorded` on `lazo.audit.v1`: one read of personal data, or one change made by an
    administrator or manager, in any service. Published through the service's outbox; casework
    keeps them for `GET /v1/audit`, and a SIEM may read the topic.

    No personal data: the actor is a key's role and fingerprint or a token's subject; a customer id
    in the request is kept only as its keyed digest (`customer_digests`), which an auditor looking
    for one customer computes the same way (`GET /v1/audit?customer_id=`)."""

    audit_id: str
    at: datetime
    service: str
    kind: str  # "read" (personal data) | "change"
    actor: str
    role: str
    method: str
    route: str  # the route's template, e.g. /v1/cases/{case_id}
    resource: dict[str, str] = {}  # path parameters other than customer ids
    customer_digests: list[str] = []
    status: int
    client: str  # the caller's address
