from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from shared.events import utcnow
from shared.http.app import SessionDep
from shared.http.auth import Reader
from shared.periods import period
from services.casework import kpis

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])


class Percentiles(BaseModel):
    count: int = Field(description="cases that got there")
    p50: float | None
    p90: float | None


class Confirmed(BaseModel):
    closed: int = Field(description="cases the customer confirmed as solved (the loop closed)")
    by_survey: int = Field(description="confirmed by a follow-up survey response")
    by_agent: int = Field(description="confirmed by the agent, on the customer's word")
    share: float | None = Field(description="closed / cases worked on (control excluded), 0–1")


class SlaPart(BaseModel):
    met: int
    missed: int
    compliance: float | None = Field(description="met / (met + missed), 0–1; cases still in time are not counted")


class Sla(BaseModel):
    first_contact: SlaPart
    close: SlaPart


class OwnerCount(BaseModel):
    owner: str
    cases: int


class Backlog(BaseModel):
    total: int
    by_status: dict[str, int]
    by_owner: list[OwnerCount] = Field(description="most loaded first (top 50)")


class CauseCount(BaseModel):
    cause: str
    cases: int


class CaseKpisOut(BaseModel):
    program: str | None
    from_: datetime | None = Field(None, alias="from")
    to: datetime | None = Field(None, description="exclusive end of the period")
    cases: int = Field(description="cases opened in the period, control cases excluded")
    control_cases: int
    time_to_first_contact_hours: Percentiles
    time_to_close_hours: Percentiles
    confirmed: Confirmed
    sla: Sla
    backlog: Backlog
    top_causes: list[CauseCount] = Field(description="the 10 most frequent causes recorded at first contact")


@router.get("", response_model=CaseKpisOut, response_model_by_alias=True)
async def get_case_kpis(session: SessionDep, _: Reader, program: str | None = None,
                        from_: str | None = Query(None, alias="from", description="ISO date or datetime, inclusive"),
                        to: str | None = Query(None, description="ISO date (whole day) or datetime, inclusive"),
                        ) -> dict:
    """How the contact center closes the loop, over the cases opened in the period: time to first
    contact and to close (p50/p90, hours), share confirmed, SLA compliance, backlog by status and
    owner, top causes. Computed in the database."""
    return await kpis.case_kpis(session, program=program, period=period(from_, to), now=utcnow())
