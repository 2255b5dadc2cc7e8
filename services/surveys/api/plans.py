"""Survey plans, one per programme. A manager sets them; agents read them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import ValidationError

from shared.errors import InvalidInput
from shared.http.auth import Manager, Reader
from shared.http.deps import ClockDep, SessionDep, UowDep
from shared.validation import validation_errors
from services.surveys import queries, service
from services.surveys.api.schemas import PlanOut
from services.surveys.domain.plans import PROGRAM_PATTERN, SurveyPlan

router = APIRouter(tags=["plans"])
Program = Annotated[str, Path(min_length=1, max_length=64, pattern=PROGRAM_PATTERN)]


@router.put("/v1/programs/{program}/survey-plan", response_model=PlanOut)
async def put_plan(
    program: Program, body: dict, uow: UowDep, clock: ClockDep, session: SessionDep, who: Manager
) -> PlanOut:
    """Set the programme's plan (see the example). `link_template` is the form's https link and must
    hold `{token}`; the other fields have defaults (monthly, 09:00–18:00 every day, email)."""
    try:
        plan = SurveyPlan.model_validate({**body, "program": program})
    except ValidationError as exc:
        errors = validation_errors(exc.errors())
        raise InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors[:5]), errors=errors) from None
    await service.put_plan(uow, plan, who.who, clock.now())
    return PlanOut.of(await queries.get_plan(session, program))


@router.get("/v1/programs/{program}/survey-plan", response_model=PlanOut)
async def get_plan(program: Program, session: SessionDep, _: Reader) -> PlanOut:
    return PlanOut.of(await queries.get_plan(session, program))


@router.delete("/v1/programs/{program}/survey-plan", status_code=status.HTTP_204_NO_CONTENT)
async def delete_plan(program: Program, uow: UowDep, _: Manager) -> Response:
    """No more invitations for the programme; those planned but not yet due are dropped."""
    await service.delete_plan(uow, program)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/v1/survey-plans", response_model=list[PlanOut])
async def list_plans(session: SessionDep, _: Reader) -> list[PlanOut]:
    return [PlanOut.of(r) for r in await queries.list_plans(session)]
