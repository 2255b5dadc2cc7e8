from __future__ import annotations

from fastapi import APIRouter, Query

from shared.http.auth import Reader
from shared.http.deps import ClockDep, SessionDep
from shared.periods import period
from services.casework import kpis
from services.casework.api.schemas import CaseKpisOut

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])


@router.get("", response_model=CaseKpisOut, response_model_by_alias=True)
async def get_case_kpis(
    session: SessionDep,
    clock: ClockDep,
    _: Reader,
    program: str | None = None,
    from_: str | None = Query(None, alias="from", description="ISO date or datetime, inclusive"),
    to: str | None = Query(None, description="ISO date (whole day) or datetime, inclusive"),
) -> dict:
    """How the contact center closes the loop, over the cases opened in the period: time to first
    contact and to close (p50/p90, hours), share confirmed, SLA compliance, backlog by status and
    owner, top causes. Computed in the database."""
    return await kpis.case_kpis(session, program=program, period=period(from_, to), now=clock.now())
