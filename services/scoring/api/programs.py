from __future__ import annotations

from fastapi import APIRouter, Response
from pydantic import BaseModel, ConfigDict, Field

from shared.contracts.programs import ProgramDefinition, Question, SegmentBands
from shared.http.app import RuntimeDep, SessionDep
from shared.http.auth import Admin, Reader
from shared.http.doors import DEFINITION_BODY_LIMIT, body_limit
from services.scoring import queries, service

router = APIRouter(prefix="/v1/programs", tags=["programmes"])


class ProgramIn(BaseModel):
    """A programme's definition. `program` may be left out (the path names it); `version` is
    assigned by the server (one more than the current one) and ignored here."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "questions": [{"key": "experience", "scale": {"min": 1, "max": 10}, "weight": 1},
                      {"key": "worth", "scale": {"min": 1, "max": 10}, "weight": 1},
                      {"key": "recommend", "scale": {"min": 0, "max": 10}, "weight": 2},
                      {"key": "ces", "scale": {"min": 1, "max": 7}, "weight": 0}],
        "bands": {"funcional": 5, "pasivo": 7, "wow": 9}}]})

    program: str | None = None
    questions: list[Question]
    bands: SegmentBands = SegmentBands()
    version: int | None = Field(None, description="ignored: the server assigns versions")


class ProgramList(BaseModel):
    programs: list[ProgramDefinition]


@router.get("", response_model=ProgramList)
async def list_programs(session: SessionDep, _: Reader) -> dict:
    """Every survey programme, `default` included."""
    return {"programs": await queries.programs(session)}


@router.get("/{program}", response_model=ProgramDefinition, responses={404: {"description": "unknown programme"}})
async def get_program(program: str, session: SessionDep, _: Reader) -> ProgramDefinition:
    return await queries.program(session, program)


@router.put("/{program}", response_model=ProgramDefinition, dependencies=[body_limit(DEFINITION_BODY_LIMIT)],
            responses={201: {"description": "created"}, 422: {"description": "invalid definition (problem+json)"},
                       409: {"description": "changed concurrently; read and retry"}})
async def put_program(program: str, body: ProgramIn, response: Response, runtime: RuntimeDep,
                      who: Admin) -> ProgramDefinition:
    """Create or replace a programme. Applies to responses scored from now on, and is announced
    as `lazo.program.changed` on `lazo.programs.v1` (ingest validates answers against it)."""
    definition, created = await service.change_program(runtime, program, body.model_dump(exclude_unset=True), who.who)
    response.status_code = 201 if created else 200
    return definition
