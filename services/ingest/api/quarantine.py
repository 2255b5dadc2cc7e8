"""The quarantine (role admin): correctly signed webhooks a mapping could not handle, and their replay."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from shared.errors import InvalidInput
from shared.http.auth import Admin
from shared.http.deps import Provided, SessionDep
from shared.http.doors import personal_data
from shared.http.paging import Limit, Offset
from services.ingest import queries
from services.ingest.api.schemas import QuarantinedOut, QuarantinePage
from services.ingest.service import Intake

router = APIRouter(prefix="/v1/quarantine", tags=["quarantine"])


@router.post(
    "/{quarantine_id}:replay",
    responses={
        200: {"description": "published as a response"},
        202: {"description": "its answers are being fetched from the platform again"},
        409: {"description": "already replayed, or its source was deleted"},
        422: {"description": "still not mappable: the errors, field by field (it stays held)"},
    },
)
async def replay(quarantine_id: str, intake: Provided[Intake], who: Admin) -> JSONResponse:
    """Process the payload again with the source's current mapping, from the stage where it stopped."""
    outcome = await intake.replay(quarantine_id, who.who)
    if outcome.status == "quarantined":
        raise InvalidInput(f"still not mappable: {outcome.reason}", errors=outcome.errors)
    return JSONResponse(outcome.as_dict(), status_code=202 if outcome.status == "fetching" else 200)


@router.get("", dependencies=[personal_data()], response_model=QuarantinePage)
async def list_quarantine(
    session: SessionDep,
    _: Admin,
    source: Annotated[str | None, Query(description="only this source's payloads")] = None,
    status: Annotated[Literal["held", "refetching", "replayed"] | None, Query()] = "held",
    limit: Limit = 50,
    offset: Offset = 0,
) -> QuarantinePage:
    """Quarantined payloads, newest first, each with the reason (the payloads themselves: GET one)."""
    total, rows = await queries.quarantine(session, source=source, status=status, limit=limit, offset=offset)
    return QuarantinePage(items=[QuarantinedOut.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/{quarantine_id}", dependencies=[personal_data()], response_model=QuarantinedOut)
async def get_quarantined(quarantine_id: str, session: SessionDep, _: Admin) -> QuarantinedOut:
    return QuarantinedOut.of(await queries.quarantined(session, quarantine_id), with_document=True)
