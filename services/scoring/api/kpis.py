from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel

from shared.errors import InvalidInput
from shared.http.app import SessionDep
from shared.http.auth import Reader
from services.scoring import queries
from services.scoring.domain.kpis import BadPeriod, period

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])


class IecOut(BaseModel):
    mean: float | None
    min: float | None
    max: float | None
    distribution: dict[str, int]


class NpsOut(BaseModel):
    score: float | None
    promoters: int
    passives: int
    detractors: int
    count: int


class KpisOut(BaseModel):
    count: int
    iec: IecOut
    segments: dict[str, int]
    nps: NpsOut
    not_scored: int


@router.get("", response_model=KpisOut)
async def get_kpis(session: SessionDep, _: Reader,
                   program: str | None = None, touchpoint: str | None = None,
                   from_: str | None = Query(None, alias="from", description="ISO date or datetime, inclusive"),
                   to: str | None = Query(None, description="ISO date (whole day) or datetime, inclusive")) -> dict:
    """A population's IEC (mean, min, max, distribution by whole point), segments and NPS, over
    the responses submitted in the period. `count` is the scored ones; `not_scored` the others."""
    try:
        span = period(from_, to)
    except BadPeriod as exc:
        raise InvalidInput(f"{exc.field}: {exc}", errors=[{"field": exc.field, "message": str(exc)}]) from exc
    return await queries.kpis(session, program=program, touchpoint=touchpoint, period=span)
