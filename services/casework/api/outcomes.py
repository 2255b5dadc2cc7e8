from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from shared.batch import check_size, summary
from shared.http.auth import Ingestor, Reader
from shared.http.deps import ClockDep, PublisherDep, SessionDep, SettingsDep
from shared.http.doors import BATCH_BODY_LIMIT, body_limit, personal_data
from services.casework import queries, service
from services.casework.api.schemas import OutcomeAccepted, OutcomeBatchIn, OutcomeIn, OutcomeList, outcome_out

router = APIRouter(prefix="/v1", tags=["outcomes"])

UNAVAILABLE = {503: {"description": "the broker cannot take it now; retry after Retry-After"}}


@router.post(
    "/outcomes",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=OutcomeAccepted,
    responses={422: {"description": "invalid outcome (problem+json naming the field)"}, **UNAVAILABLE},
)
async def post_outcome(
    body: OutcomeIn, publisher: PublisherDep, settings: SettingsDep, clock: ClockDep, _: Ingestor
) -> dict:
    """A customer's renewal outcome (role ingest). Published as `lazo.outcome.recorded` on
    `lazo.outcomes.v1`; 202 only once the broker acknowledged it. One outcome per customer,
    programme and date: sending it again changes nothing, sending other values corrects it (the
    last report wins: A, then B, then A again ends as A). `date` not in the future nor before
    LAZO_SUBMITTED_AT_EARLIEST (2000-01-01)."""
    envelope = await service.accept_outcome(publisher, body, now=clock.now(), earliest=settings.submitted_at_earliest)
    return {"customer_id": body.customer_id, "program": body.program, "date": body.date, "event_id": envelope.id}


@router.post(
    "/outcomes:batch",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[body_limit(BATCH_BODY_LIMIT)],
    responses={422: {"description": "no outcome in the batch is valid, or too many"}, **UNAVAILABLE},
)
async def post_batch(
    body: OutcomeBatchIn, publisher: PublisherDep, settings: SettingsDep, clock: ClockDep, _: Ingestor
) -> JSONResponse:
    """Up to 1000 outcomes; a result per item that says what the broker has: `accepted` (acknowledged),
    `rejected` (invalid, with `errors`) or `unavailable` (not acknowledged: send it again after
    `retry_after` s). Valid items are accepted even when others are not; 503 only when none was."""
    check_size(body.outcomes, settings.max_batch, "outcomes")
    results = await service.accept_outcomes(
        publisher, body.outcomes, now=clock.now(), earliest=settings.submitted_at_earliest
    )
    answer, headers = summary(results, "outcomes")
    return JSONResponse(answer, status_code=202, headers=headers)


@router.get("/outcomes", dependencies=[personal_data()], response_model=OutcomeList)
async def get_outcomes(
    session: SessionDep,
    _: Reader,
    customer_id: Annotated[str, Query(min_length=1, max_length=200)],
    program: str | None = None,
) -> dict:
    """A customer's recorded outcomes, newest first (the first is the one the experiment uses)."""
    return {"items": [outcome_out(r) for r in await queries.outcomes_of(session, customer_id, program)]}
