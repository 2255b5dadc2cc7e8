from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import NotFound
from shared.http.auth import Agent, Reader
from shared.http.deps import ClockDep, SessionDep, UowDep
from shared.http.doors import personal_data
from shared.http.paging import Limit, Offset
from services.casework import queries, service
from services.casework.api.schemas import CaseDetail, CasePage, ConfirmationIn, TransitionIn, case_detail, case_out
from services.casework.domain.case import Status
from services.casework.domain.teams import TeamScope

router = APIRouter(prefix="/v1/cases", tags=["cases"])

CONFLICT = {409: {"description": "the state machine forbids it (problem+json lists `allowed`)"}}


@router.get("", dependencies=[personal_data()], response_model=CasePage)
async def get_cases(
    session: SessionDep,
    clock: ClockDep,
    who: Reader,
    status: Status | None = None,
    owner: str | None = None,
    customer_id: str | None = None,
    program: str | None = None,
    overdue: Annotated[bool | None, Query(description="true: only SLA breaches; false: none")] = None,
    alert_id: Annotated[str | None, Query(max_length=64, description="the case that took this alert")] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict:
    """Cases, overdue first then newest, with the total matching the filters. An agent whose key or
    token names owner teams gets only those teams' cases."""
    now = clock.now()
    query = queries.CaseQuery(
        status=status,
        owner=owner,
        customer_id=customer_id,
        program=program,
        overdue=overdue,
        alert_id=alert_id,
        scope=TeamScope.of(who.team_scope),
        limit=limit,
        offset=offset,
    )
    total, rows = await queries.list_cases(session, query, now)
    return {"total": total, "limit": limit, "offset": offset, "items": [case_out(r, now) for r in rows]}


@router.get(
    "/{case_id}",
    dependencies=[personal_data()],
    response_model=CaseDetail,
    responses={404: {"description": "no such case"}},
)
async def get_case(case_id: str, session: SessionDep, clock: ClockDep, who: Reader) -> dict:
    """One case with the alerts it took and its whole timeline (who, when, what); 404 for another
    team's case when the key or token is held to its teams."""
    return await _detail(session, case_id, clock, TeamScope.of(who.team_scope))


@router.post(
    "/{case_id}/transitions",
    response_model=CaseDetail,
    responses={
        **CONFLICT,
        404: {"description": "no such case"},
        422: {"description": "invalid body, or `contacted` without a cause"},
    },
)
async def post_transition(
    case_id: str, body: TransitionIn, uow: UowDep, session: SessionDep, clock: ClockDep, who: Agent
) -> dict:
    """Move the case on. `owner` (re)assigns it at any transition (a team-scoped agent: to one of its
    teams); `contacted` records the cause."""
    scope = TeamScope.of(who.team_scope)
    await service.transition(
        uow,
        case_id,
        to=body.to,
        by=who.who,
        now=clock.now(),
        note=body.note,
        cause=body.cause,
        owner=body.owner,
        cause_key=body.cause_key,
        scope=scope,
    )
    return await _detail(session, case_id, clock, scope)


@router.post(
    "/{case_id}/confirmation", response_model=CaseDetail, responses={**CONFLICT, 404: {"description": "no such case"}}
)
async def post_confirmation(
    case_id: str, body: ConfirmationIn, uow: UowDep, session: SessionDep, clock: ClockDep, who: Agent
) -> dict:
    """The customer's word, recorded by the agent: solved closes the case, not solved goes back to analysis."""
    scope = TeamScope.of(who.team_scope)
    await service.confirm(
        uow,
        case_id,
        solved=body.solved,
        current_feeling=body.current_feeling,
        note=body.note,
        by=who.who,
        now=clock.now(),
        scope=scope,
    )
    return await _detail(session, case_id, clock, scope)


async def _detail(session: AsyncSession, case_id: str, clock: ClockDep, scope: TeamScope) -> dict:
    row = await queries.case_of(session, case_id, scope)
    if row is None:
        raise NotFound(f"no case '{case_id}'")
    return case_detail(
        row, await queries.alerts_of(session, case_id), await queries.timeline_of(session, case_id), clock.now()
    )
