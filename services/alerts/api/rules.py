from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from shared.http.auth import Manager, Reader
from shared.http.deps import SessionDep, UowDep
from services.alerts import queries, service
from services.alerts.api.schemas import PROGRAM_PATTERN, RulesOut
from services.alerts.domain.rules import AlertRules

router = APIRouter(prefix="/v1/programs", tags=["alert rules"])

Program = Annotated[str, Path(min_length=1, max_length=64, pattern=PROGRAM_PATTERN)]


@router.get("/{program}/alert-rules", response_model=RulesOut)
async def get_rules(program: Program, session: SessionDep, _: Reader) -> RulesOut:
    """The programme's selection rules; a programme never changed answers the defaults."""
    return RulesOut.of(await queries.get_rules(session, program))


@router.put(
    "/{program}/alert-rules",
    response_model=RulesOut,
    responses={422: {"description": "a rule out of range (problem+json naming the field)"}},
)
async def put_rules(program: Program, body: AlertRules, uow: UowDep, who: Manager) -> RulesOut:
    """Replace the programme's rules (fields left out take their defaults). They apply to
    responses selected from now on; alerts already raised stay as they are."""
    row = await service.put_rules(uow, program, body, who.who)
    return RulesOut.of(queries.RulesView(program, body, row.updated_at, row.updated_by))
