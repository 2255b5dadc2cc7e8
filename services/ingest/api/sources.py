"""Webhook sources (role admin): the platform accounts that post to Lazo and how their payloads map."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Response, status

from shared.http.auth import Admin
from shared.http.deps import Provided, SessionDep
from shared.http.doors import WEBHOOK_BODY_LIMIT, body_limit
from services.ingest import queries
from services.ingest.api.schemas import SourceIn, SourceOut, SourceUpdate
from services.ingest.service import Intake

router = APIRouter(prefix="/v1/sources", tags=["sources"])


@router.post(
    "/{source_id}:dry-run",
    dependencies=[body_limit(WEBHOOK_BODY_LIMIT)],
    responses={422: {"description": "the exact mapping error, field by field"}},
)
async def dry_run(
    source_id: str,
    intake: Provided[Intake],
    _: Admin,
    payload: Any = Body(
        ...,
        description="a sample of the platform's payload (for SurveyMonkey "
        "and Qualtrics, the fetched documents: see the docs)",
    ),
) -> dict:
    """The canonical response this payload would become (nothing is published), or 422 naming each
    field at fault and the path in the payload it was looked for at."""
    return {"response": await intake.dry_run(source_id, payload)}


@router.post("", status_code=status.HTTP_201_CREATED, response_model=SourceOut)
async def create_source(body: SourceIn, intake: Provided[Intake], who: Admin, response: Response) -> SourceOut:
    """Register a platform account. Point the platform at the returned `webhook_path`."""
    source = await intake.create_source(
        source_id=body.id,
        platform=body.platform,
        program=body.program,
        name=body.name,
        credentials=body.credentials,
        api_base_url=body.base_url,
        mapping=body.mapping,
        who=who.who,
    )
    response.headers["Location"] = f"/v1/sources/{source.id}"
    return SourceOut.of(source)


@router.get("", response_model=list[SourceOut])
async def list_sources(session: SessionDep, _: Admin) -> list[SourceOut]:
    return [SourceOut.of(s) for s in await queries.listed(session)]


@router.get("/{source_id}", response_model=SourceOut)
async def get_source(source_id: str, session: SessionDep, _: Admin) -> SourceOut:
    return SourceOut.of(await queries.live(session, source_id))


@router.put("/{source_id}", response_model=SourceOut)
async def put_source(source_id: str, body: SourceUpdate, intake: Provided[Intake], who: Admin) -> SourceOut:
    """Replace the source's settings (fix a mapping, rotate a secret); then replay its quarantine."""
    source = await intake.update_source(
        source_id,
        platform=body.platform,
        program=body.program,
        name=body.name,
        credentials=body.credentials,
        api_base_url=body.base_url,
        mapping=body.mapping,
        who=who.who,
    )
    return SourceOut.of(source)


@router.delete("/{source_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_source(source_id: str, intake: Provided[Intake], who: Admin) -> Response:
    """Its webhooks are refused from now on (404); its quarantine stays readable."""
    await intake.delete_source(source_id, who.who)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
