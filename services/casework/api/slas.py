from __future__ import annotations

from fastapi import APIRouter

from shared.http.auth import Manager, Reader
from shared.http.deps import ClockDep, SessionDep, UowDep
from services.casework import queries, service
from services.casework.api.schemas import Program, SlaIn, SlaOut
from services.casework.domain.sla import Sla

router = APIRouter(prefix="/v1/programs", tags=["sla"])


@router.get("/{program}/sla", response_model=SlaOut)
async def get_sla(program: Program, session: SessionDep, _: Reader) -> dict:
    """A programme's SLAs; the defaults (48 h to first contact, 14 days to close) until one is set."""
    sla, row = await queries.sla_of(session, program)
    return {
        "program": program,
        "first_contact_hours": sla.first_contact_hours,
        "close_days": sla.close_days,
        "updated_at": row.updated_at if row else None,
        "updated_by": row.updated_by if row else None,
    }


@router.put("/{program}/sla", response_model=SlaOut)
async def put_sla(
    program: Program, body: SlaIn, uow: UowDep, session: SessionDep, clock: ClockDep, who: Manager
) -> dict:
    """Set a programme's SLAs (managers). They apply to cases opened from now on."""
    await service.put_sla(uow, program, Sla(body.first_contact_hours, body.close_days), by=who.who, now=clock.now())
    return await get_sla(program, session, who)
