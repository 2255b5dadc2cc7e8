"""Invitations, the sending tool's reports, the planner's round on demand, its clock, the figures."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from shared.clock import FixedClock, as_utc
from shared.errors import Conflict
from shared.http.auth import Manager, Principal, Reader, require
from shared.http.deps import ClockDep, Provided, SessionDep, UowDep
from shared.http.doors import personal_data
from shared.http.paging import Limit, Offset
from services.surveys import queries, service
from services.surveys.api.schemas import ClockIn, ClockOut, InvitationOut, InvitationPage, ReportIn, RunOut
from services.surveys.domain.invitations import Status
from services.surveys.planner import Planner

router = APIRouter(tags=["invitations"])
Text = Annotated[str | None, Query(min_length=1, max_length=200)]
# The company's sending tool reports with a machine key (the `ingest` role), or a manager by hand.
Reporter = Annotated[Principal, Depends(require("ingest", "manager"))]


@router.get("/v1/invitations", dependencies=[personal_data()], response_model=InvitationPage)
async def list_invitations(
    session: SessionDep,
    _: Reader,
    program: Text = None,
    customer_id: Text = None,
    case_id: Text = None,
    status: Annotated[Status | None, Query()] = None,
    kind: Annotated[Literal["survey", "follow_up"] | None, Query()] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> InvitationPage:
    """Newest first."""
    rows, total = await queries.list_invitations(
        session,
        program=program,
        customer_id=customer_id,
        status=status,
        case_id=case_id,
        kind=kind,
        limit=limit,
        offset=offset,
    )
    return InvitationPage(items=[InvitationOut.of(r) for r in rows], total=total, limit=limit, offset=offset)


@router.get("/v1/invitations/{invitation_id}", dependencies=[personal_data()], response_model=InvitationOut)
async def get_invitation(invitation_id: str, session: SessionDep, _: Reader) -> InvitationOut:
    return InvitationOut.of(await queries.get_invitation(session, invitation_id))


@router.post("/v1/invitations/{invitation_id}/reports", response_model=InvitationOut)
async def report(
    invitation_id: str, body: ReportIn, uow: UowDep, clock: ClockDep, session: SessionDep, _: Reporter
) -> InvitationOut:
    """The sending tool says an invitation was `sent`, `opened` or `bounced` (a bounce disables that
    channel for the customer). Repeated or late reports change nothing; one that makes no sense
    (`sent` for a suppressed invitation) is a 409 naming the allowed moves."""
    at = as_utc(body.at) if body.at else clock.now()
    await service.report(uow, invitation_id, body.event, at, body.detail)
    return InvitationOut.of(await queries.get_invitation(session, invitation_id))


@router.post("/v1/planner/runs", response_model=RunOut)
async def plan_now(planner: Provided[Planner], _: Manager) -> RunOut:
    """Run a planner round now (as the loop does every LAZO_PLANNER_EVERY_S): plan, fall due, remind,
    expire, send. 409 while another replica runs one."""
    return RunOut(**await planner.round())


@router.get("/v1/clock", response_model=ClockOut)
async def get_clock(clock: ClockDep, _: Reader) -> ClockOut:
    return ClockOut(now=clock.now(), manual=isinstance(clock, FixedClock))


@router.put("/v1/clock", response_model=ClockOut)
async def set_clock(body: ClockIn, clock: ClockDep, _: Manager) -> ClockOut:
    """Move the planner's clock (only with LAZO_SURVEYS_CLOCK=manual: demos and tests go through months
    in seconds). Then run a round (POST /v1/planner/runs) to see what falls due by then."""
    if not isinstance(clock, FixedClock):
        raise Conflict("the clock is the system's; start surveys with LAZO_SURVEYS_CLOCK=manual to move it")
    clock.set(body.now)
    return ClockOut(now=clock.now(), manual=True)


@router.get("/v1/surveys/kpis")
async def kpis(
    session: SessionDep,
    _: Reader,
    program: Text = None,
    since: Annotated[datetime | None, Query()] = None,
    until: Annotated[datetime | None, Query()] = None,
) -> dict:
    """Invitations created in [since, until): due, sent, suppressed by reason, response rate, median
    time to respond, by channel, and the case follow-ups' response rate."""
    return await queries.kpis(
        session, program=program, since=as_utc(since) if since else None, until=as_utc(until) if until else None
    )
