from __future__ import annotations

from fastapi import APIRouter, Response

from shared.contracts.programs import ProgramDefinition
from shared.http.auth import Admin, Reader
from shared.http.deps import SessionDep, UowDep
from shared.http.doors import DEFINITION_BODY_LIMIT, body_limit
from services.scoring import queries, service
from services.scoring.api.schemas import ProgramIn, ProgramList

router = APIRouter(prefix="/v1/programs", tags=["programmes"])


@router.get("", response_model=ProgramList)
async def list_programs(session: SessionDep, _: Reader) -> dict:
    """Every survey programme, `default` included."""
    return {"programs": await queries.programs(session)}


@router.get("/{program}", response_model=ProgramDefinition, responses={404: {"description": "unknown programme"}})
async def get_program(program: str, session: SessionDep, _: Reader) -> ProgramDefinition:
    return await queries.program(session, program)


@router.put(
    "/{program}",
    response_model=ProgramDefinition,
    dependencies=[body_limit(DEFINITION_BODY_LIMIT)],
    responses={
        201: {"description": "created"},
        422: {"description": "invalid definition (problem+json)"},
        409: {"description": "changed concurrently; read and retry"},
    },
)
async def put_program(program: str, body: ProgramIn, response: Response, uow: UowDep, who: Admin) -> ProgramDefinition:
    """Create or replace a programme. Applies to responses scored from now on, and is announced
    as `lazo.program.changed` on `lazo.programs.v1` (ingest validates answers against it)."""
    definition, created = await service.change_program(uow, program, body.model_dump(exclude_unset=True), who.who)
    response.status_code = 201 if created else 200
    return definition
