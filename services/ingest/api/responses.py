from __future__ import annotations

from fastapi import APIRouter, Request, status
from fastapi.responses import JSONResponse

from shared.errors import InvalidInput
from shared.http.app import RuntimeDep
from shared.http.auth import Ingestor
from shared.http.doors import BATCH_BODY_LIMIT, RESPONSE_BODY_LIMIT, body_limit
from services.ingest import service
from services.ingest.domain.response import BatchIn, ResponseIn

router = APIRouter(prefix="/v1", tags=["responses"])


@router.post("/responses", status_code=status.HTTP_202_ACCEPTED, dependencies=[body_limit(RESPONSE_BODY_LIMIT)],
             responses={422: {"description": "invalid response (problem+json naming the field)"},
                        503: {"description": "the broker cannot take it now; retry after Retry-After"}})
async def post_response(body: ResponseIn, request: Request, runtime: RuntimeDep, _: Ingestor) -> dict:
    """Accept one canonical survey response. 202 only once the broker acknowledged it."""
    await service.accept(runtime.publisher, request.app.state.programs, body)
    return {"response_id": body.response_id, "status": "accepted"}


@router.post("/responses:batch", status_code=status.HTTP_202_ACCEPTED, dependencies=[body_limit(BATCH_BODY_LIMIT)])
async def post_batch(body: BatchIn, request: Request, runtime: RuntimeDep, _: Ingestor) -> JSONResponse:
    """Up to 1000 responses; a result per item. Valid items are accepted even when others are not."""
    limit = request.app.state.settings.max_batch
    if len(body.responses) > limit:
        raise InvalidInput(f"at most {limit} responses per batch",
                           errors=[{"field": "responses", "message": f"{len(body.responses)} items; the limit is {limit}"}])
    results = await service.accept_batch(runtime.publisher, request.app.state.programs, body.responses)
    accepted = sum(r.status == "accepted" for r in results)
    if not accepted:
        errors = [e for r in results for e in (r.errors or [])]
        raise InvalidInput("no response in the batch is valid", errors=errors)
    return JSONResponse({"accepted": accepted, "rejected": len(results) - accepted,
                         "results": [r.as_dict() for r in results]}, status_code=202)
