from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from shared.events import utcnow
from shared.http.app import RuntimeDep, SessionDep
from shared.http.auth import Manager, Reader
from services.casework import service
from services.casework.api.schemas import SlaIn, SlaOut
from services.casework.domain.sla import Sla

router = APIRouter(prefix="/v1/programs", tags=["sla"])

Program = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


@router.get("/{program}/sla", response_model=SlaOut)
async def get_sla(program: Program, session: SessionDep, _: Reader) -> dict:
    """A programme's SLAs; the defaults (48 h to first contact, 14 days to close) until one is set."""
    sla, row = await service.get_sla(session, program)
    return {"program": program, "first_contact_hours": sla.first_contact_hours, "close_days": sla.close_days,
            "updated_at": row.updated_at if row else None, "updated_by": row.updated_by if row else None}


@router.put("/{program}/sla", response_model=SlaOut)
async def put_sla(program: Program, body: SlaIn, runtime: RuntimeDep, session: SessionDep, who: Manager) -> dict:
    """Set a programme's SLAs (managers). They apply to cases opened from now on."""
    await service.put_sla(runtime.sessions, program, Sla(body.first_contact_hours, body.close_days), by=who.who,
                          now=utcnow())
    return await get_sla(program, session, who)
