from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from shared.http.auth import Admin
from shared.http.deps import Provided, SessionDep
from shared.http.paging import Limit, Offset
from shared.periods import period
from shared.tombstones import CustomerDigest
from services.casework import queries
from services.casework.api.schemas import AuditPage, audit_out

router = APIRouter(prefix="/v1", tags=["audit"])


@router.get("/audit", response_model=AuditPage)
async def list_audit(
    session: SessionDep,
    digest: Provided[CustomerDigest],
    _: Admin,
    service: Annotated[str | None, Query(min_length=1, max_length=32)] = None,
    kind: Literal["read", "change"] | None = None,
    actor: Annotated[str | None, Query(min_length=1, max_length=300)] = None,
    customer_id: Annotated[
        str | None, Query(min_length=1, max_length=200, description="records about this customer")
    ] = None,
    from_: Annotated[str | None, Query(alias="from")] = None,
    to: Annotated[str | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """The audit trail (role admin), newest first: every read of personal data and every change an
    administrator or manager made, in any service — who (`actor`: a key's role and fingerprint or a
    token's subject), when, what (`method`, `route`, `resource`), from where (`client`) and how it
    was answered (`status`). Records hold no personal data: a customer named in a request is kept
    as a keyed digest, so `customer_id` finds the records about a customer without storing the id.
    Every service publishes its records on `lazo.audit.v1` (for a SIEM too); casework keeps them."""
    span = period(from_, to)
    query = queries.AuditQuery(
        service=service,
        kind=kind,
        actor=actor,
        customer_digests=tuple(digest.every(customer_id)) if customer_id else (),
        start=span.start,
        end=span.end,
    )
    rows, total = await queries.audit_records(session, query, limit=limit, offset=offset)
    return {"items": [audit_out(r) for r in rows], "total": total, "limit": limit, "offset": offset}
