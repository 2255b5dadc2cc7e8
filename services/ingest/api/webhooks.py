"""`POST /v1/webhooks/{platform}/{program}`: a survey platform's own webhook, authenticated by the
platform's signature (no API key). See docs/platforms/<platform>.md for each platform."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from shared.errors import NotFound
from shared.http.deps import Provided, runtime_of
from shared.http.doors import WEBHOOK_BODY_LIMIT, body_limit, signed_by_platform
from services.ingest.domain.platforms import PLATFORMS
from services.ingest.service import Intake

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

SourceQuery = Annotated[
    str | None, Query(description="the source id; optional when the platform and programme have only one source")
]


async def _source_first(request: Request) -> int | None:
    """Before the body is read: the platform and the source must exist (404; 409 when the URL must
    name one of several sources), so a body nobody could verify is never read."""
    declared = request.headers.get("content-length", "")
    intake = runtime_of(request).provided(Intake)
    return await intake.admit(
        request.path_params["platform"],
        request.path_params["program"],
        request.query_params.get("source"),
        int(declared) if declared.isdigit() else None,
    )


async def _known_platform(request: Request) -> None:
    if request.path_params["platform"] not in PLATFORMS:
        raise NotFound(f"unknown platform '{request.path_params['platform']}'")


@router.post(
    "/{platform}/{program}",
    dependencies=[signed_by_platform(_source_first), body_limit(WEBHOOK_BODY_LIMIT)],
    responses={
        200: {
            "description": "accepted (published), quarantined (kept, with the reason), "
            "ignored (not a completed response) or duplicate (this delivery's "
            "event id was received before: nothing is done again)"
        },
        202: {"description": "acknowledged; the answers are fetched from the platform's API"},
        401: {"description": "the platform's signature does not verify (logged without the body)"},
        404: {"description": "no such platform or source (answered before the body is read)"},
        413: {"description": "the body is over 1 MiB"},
        429: {"description": "too many bad signatures for this source from this address"},
        503: {"description": "the database cannot take it now; the platform retries"},
    },
)
async def receive(
    platform: str, program: str, request: Request, intake: Provided[Intake], source: SourceQuery = None
) -> JSONResponse:
    body = await request.body()
    client = request.client.host if request.client else "?"
    outcome = await intake.receive(platform, program, source, body, request.headers, client)
    return JSONResponse(outcome.as_dict(), status_code=202 if outcome.status == "fetching" else 200)


@router.head("/{platform}/{program}", include_in_schema=False, dependencies=[signed_by_platform(_known_platform)])
async def probe(platform: str, program: str) -> Response:
    """SurveyMonkey checks a subscription URL with HEAD before it creates the webhook."""
    if platform not in PLATFORMS:
        raise NotFound(f"unknown platform '{platform}'")
    return Response(status_code=200)
