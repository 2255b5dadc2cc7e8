from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound
from shared.events import utcnow
from shared.http.app import RuntimeDep, SessionDep
from shared.http.auth import Agent, Reader
from shared.http.paging import Offset
from services.casework import service
from services.casework.api.schemas import (CaseDetail, CasePage, ConfirmationIn, TransitionIn, case_detail,
                                           case_out)
from services.casework.domain.case import Status
from services.casework.models import CaseRow
from services.casework.repository import CaseQuery, alerts_of, list_cases, timeline_of

router = APIRouter(prefix="/v1/cases", tags=["cases"])

CONFLICT = {409: {"description": "the state machine forbids it (problem+json lists `allowed`)"}}


@router.get("", response_model=CasePage)
async def get_cases(session: SessionDep, _: Reader,
                    status: Status | None = None, owner: str | None = None, customer_id: str | None = None,
                    program: str | None = None,
                    overdue: Annotated[bool | None, Query(description="true: only SLA breaches; false: none")] = None,
                    limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    offset: Offset = 0) -> dict:
    """Cases, overdue first then newest, with the total matching the filters."""
    now = utcnow()
    query = CaseQuery(status=status, owner=owner, customer_id=customer_id, program=program, overdue=overdue,
                      limit=limit, offset=offset)
    total, rows = await list_cases(session, query, now)
    return {"total": total, "limit": limit, "offset": offset, "items": [case_out(r, now) for r in rows]}


@router.get("/{case_id}", response_model=CaseDetail, responses={404: {"description": "no such case"}})
async def get_case(case_id: str, session: SessionDep, _: Reader) -> dict:
    """One case with the alerts it took and its whole timeline (who, when, what)."""
    return await _detail(session, case_id)


@router.post("/{case_id}/transitions", response_model=CaseDetail,
             responses={**CONFLICT, 404: {"description": "no such case"},
                        422: {"description": "invalid body, or `contacted` without a cause"}})
async def post_transition(case_id: str, body: TransitionIn, runtime: RuntimeDep, session: SessionDep,
                          who: Agent) -> dict:
    """Move the case on. `owner` (re)assigns it at any transition; `contacted` records the cause."""
    await service.transition(runtime.sessions, case_id, to=body.to, by=who.who, now=utcnow(), note=body.note,
                             cause=body.cause, owner=body.owner)
    runtime.notify_outbox()
    return await _detail(session, case_id)


@router.post("/{case_id}/confirmation", response_model=CaseDetail,
             responses={**CONFLICT, 404: {"description": "no such case"}})
async def post_confirmation(case_id: str, body: ConfirmationIn, runtime: RuntimeDep, session: SessionDep,
                            who: Agent) -> dict:
    """The customer's word, recorded by the agent: solved closes the case, not solved goes back to analysis."""
    await service.confirm(runtime.sessions, case_id, solved=body.solved, current_feeling=body.current_feeling,
                          note=body.note, by=who.who, now=utcnow())
    runtime.notify_outbox()
    return await _detail(session, case_id)


async def _detail(session: AsyncSession, case_id: str) -> dict:
    row = await session.get(CaseRow, case_id)
    if row is None:
        raise NotFound(f"no case '{case_id}'")
    return case_detail(row, await alerts_of(session, case_id), await timeline_of(session, case_id), utcnow())
