"""The quarantine (role admin): correctly signed webhooks a mapping could not handle, and their replay."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse
from sqlalchemy import func, select

from shared.errors import InvalidInput, NotFound
from shared.http.app import SessionDep
from shared.http.auth import Admin
from shared.http.paging import Offset
from services.ingest.api.schemas import QuarantinedOut, QuarantinePage
from services.ingest.models import QuarantinedPayload

router = APIRouter(prefix="/v1/quarantine", tags=["quarantine"])


@router.post("/{quarantine_id}:replay",
             responses={200: {"description": "published as a response"},
                        202: {"description": "its answers are being fetched from the platform again"},
                        409: {"description": "already replayed, or its source was deleted"},
                        422: {"description": "still not mappable: the errors, field by field (it stays held)"}})
async def replay(quarantine_id: str, request: Request, who: Admin) -> JSONResponse:
    """Process the payload again with the source's current mapping, from the stage where it stopped."""
    outcome = await request.app.state.intake.replay(quarantine_id, who.who)
    if outcome.status == "quarantined":
        raise InvalidInput(f"still not mappable: {outcome.reason}", errors=outcome.errors)
    return JSONResponse(outcome.as_dict(), status_code=202 if outcome.status == "fetching" else 200)


@router.get("", response_model=QuarantinePage)
async def list_quarantine(
    session: SessionDep, _: Admin,
    source: Annotated[str | None, Query(description="only this source's payloads")] = None,
    status: Annotated[Literal["held", "refetching", "replayed"] | None, Query()] = "held",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
) -> QuarantinePage:
    """Quarantined payloads, newest first, each with the reason (the payloads themselves: GET one)."""
    q = QuarantinedPayload
    where = []
    if source:
        where.append(q.source_id == source)
    if status:
        where.append(q.status == status)
    total = await session.scalar(select(func.count()).select_from(q).where(*where))
    rows = await session.scalars(select(q).where(*where).order_by(q.received_at.desc(), q.id)
                                 .limit(limit).offset(offset))
    return QuarantinePage(items=[QuarantinedOut.of(r) for r in rows], total=total or 0, limit=limit, offset=offset)


@router.get("/{quarantine_id}", response_model=QuarantinedOut)
async def get_quarantined(quarantine_id: str, session: SessionDep, _: Admin) -> QuarantinedOut:
    row = await session.get(QuarantinedPayload, quarantine_id)
    if row is None:
        raise NotFound(f"no quarantined payload '{quarantine_id}'")
    return QuarantinedOut.of(row, with_document=True)
