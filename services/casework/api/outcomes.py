from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from shared.batch import check_size, summary
from shared.events import utcnow
from shared.http.app import RuntimeDep, SessionDep
from shared.http.auth import Ingestor, Reader
from shared.http.doors import BATCH_BODY_LIMIT, body_limit
from services.casework import outcomes
from services.casework.models import OutcomeRow
from services.casework.outcomes import OutcomeIn

router = APIRouter(prefix="/v1", tags=["outcomes"])

UNAVAILABLE = {503: {"description": "the broker cannot take it now; retry after Retry-After"}}


class Accepted(BaseModel):
    customer_id: str
    program: str
    date: date
    event_id: str = Field(description="the CloudEvent id: the same report sent again is the same event")
    status: str = "accepted"


class BatchIn(BaseModel):
    # Items stay raw here: each one is validated on its own, so one bad item cannot sink the batch.
    outcomes: list[Any] = Field(min_length=1, description="up to 1000 outcomes, each as in POST /v1/outcomes")


class OutcomeOut(BaseModel):
    customer_id: str
    program: str
    date: date
    renewed: bool
    revenue: float | None
    event_id: str
    recorded_at: datetime


class OutcomeList(BaseModel):
    items: list[OutcomeOut]


@router.post("/outcomes", status_code=status.HTTP_202_ACCEPTED, response_model=Accepted,
             responses={422: {"description": "invalid outcome (problem+json naming the field)"}, **UNAVAILABLE})
async def post_outcome(body: OutcomeIn, request: Request, runtime: RuntimeDep, _: Ingestor) -> dict:
    """A customer's renewal outcome (role ingest). Published as `lazo.outcome.recorded` on
    `lazo.outcomes.v1`; 202 only once the broker acknowledged it. One outcome per customer,
    programme and date: sending it again changes nothing, sending other values corrects it (the
    last report wins: A, then B, then A again ends as A). `date` not in the future nor before
    LAZO_SUBMITTED_AT_EARLIEST (2000-01-01)."""
    envelope = await outcomes.accept(runtime.publisher, body, now=utcnow(),
                                     earliest=request.app.state.settings.submitted_at_earliest)
    return {"customer_id": body.customer_id, "program": body.program, "date": body.date, "event_id": envelope.id}


@router.post("/outcomes:batch", status_code=status.HTTP_202_ACCEPTED, dependencies=[body_limit(BATCH_BODY_LIMIT)],
             responses={422: {"description": "no outcome in the batch is valid, or too many"}, **UNAVAILABLE})
async def post_batch(body: BatchIn, request: Request, runtime: RuntimeDep, _: Ingestor) -> JSONResponse:
    """Up to 1000 outcomes; a result per item that says what the broker has: `accepted` (acknowledged),
    `rejected` (invalid, with `errors`) or `unavailable` (not acknowledged: send it again after
    `retry_after` s). Valid items are accepted even when others are not; 503 only when none was."""
    check_size(body.outcomes, request.app.state.settings.max_batch, "outcomes")
    results = await outcomes.accept_batch(runtime.publisher, body.outcomes, now=utcnow(),
                                          earliest=request.app.state.settings.submitted_at_earliest)
    answer, headers = summary(results, "outcomes")
    return JSONResponse(answer, status_code=202, headers=headers)


@router.get("/outcomes", response_model=OutcomeList)
async def get_outcomes(session: SessionDep, _: Reader,
                       customer_id: Annotated[str, Query(min_length=1, max_length=200)],
                       program: str | None = None) -> dict:
    """A customer's recorded outcomes, newest first (the first is the one the experiment uses)."""
    query = select(OutcomeRow).where(OutcomeRow.customer_id == customer_id)
    if program is not None:
        query = query.where(OutcomeRow.program == program)
    rows = (await session.scalars(query.order_by(OutcomeRow.on.desc(), OutcomeRow.program).limit(500))).all()
    return {"items": [{"customer_id": r.customer_id, "program": r.program, "date": r.on, "renewed": r.renewed,
                       "revenue": r.revenue, "event_id": r.event_id, "recorded_at": r.recorded_at} for r in rows]}
