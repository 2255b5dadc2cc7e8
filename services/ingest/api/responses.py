from __future__ import annotations

from fastapi import APIRouter, status
from fastapi.responses import JSONResponse

from shared.batch import check_size, summary
from shared.http.auth import Ingestor
from shared.http.deps import Provided, PublisherDep, SettingsDep
from shared.http.doors import BATCH_BODY_LIMIT, RESPONSE_BODY_LIMIT, body_limit
from shared.limits import ResponseBounds
from services.ingest import service
from services.ingest.domain.programs import ProgramCatalog
from services.ingest.domain.response import BatchIn, ResponseIn

router = APIRouter(prefix="/v1", tags=["responses"])

BATCH_RESULTS = (
    "A result per item, in order: `accepted` (the broker acknowledged that item), `rejected` (invalid, with "
    "`errors` naming the fields; sending it again will not help) or `unavailable` (valid, but the broker did not "
    "acknowledge it: send that item again after `retry_after` seconds; a retry of an item that did reach the "
    "broker meanwhile is harmless)."
)


@router.post(
    "/responses",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[body_limit(RESPONSE_BODY_LIMIT)],
    responses={
        413: {
            "description": "the response as a whole is more than the pipeline carries "
            "(problem+json naming its largest part)"
        },
        422: {"description": "invalid response (problem+json naming the field)"},
        503: {"description": "the broker cannot take it now; retry after Retry-After"},
    },
)
async def post_response(
    body: ResponseIn,
    publisher: PublisherDep,
    catalog: Provided[ProgramCatalog],
    bounds: Provided[ResponseBounds],
    _: Ingestor,
) -> dict:
    """Accept one canonical survey response. 202 only once the broker acknowledged it. Every field is
    bounded (see the schema); a response whose events the pipeline could never carry is a 413 or 422,
    never a 503. The same `response_id` again with the same content is a harmless 202; with other
    content it is a 202 too, and scoring records the conflict (`GET /v1/responses/{id}` there)."""
    await service.accept(publisher, catalog, body, bounds)
    return {"response_id": body.response_id, "status": "accepted"}


@router.post(
    "/responses:batch",
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[body_limit(BATCH_BODY_LIMIT)],
    responses={
        202: {"description": "at least one item accepted. " + BATCH_RESULTS},
        422: {"description": "no item is valid, or too many items"},
        503: {
            "description": "valid items, none acknowledged by the broker: the problem's "
            "`results` says so per item; send them again after Retry-After"
        },
    },
)
async def post_batch(
    body: BatchIn,
    publisher: PublisherDep,
    settings: SettingsDep,
    catalog: Provided[ProgramCatalog],
    bounds: Provided[ResponseBounds],
    _: Ingestor,
) -> JSONResponse:
    """Up to 1000 responses; a result per item that says exactly what the broker has. Valid items are
    accepted even when others are not; items the broker did not acknowledge are `unavailable`."""
    check_size(body.responses, settings.max_batch, "responses")
    results = await service.accept_batch(publisher, catalog, body.responses, bounds)
    answer, headers = summary(results, "responses")
    return JSONResponse(answer, status_code=202, headers=headers)
